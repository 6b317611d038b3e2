from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from api.auth import require, services
from api.origin import from_api
from api.request_body import optional_json_body
from api.views import operation_ref
from operations.backups import submit_backup, submit_delete_backup, submit_restore
from operations.requests import CreateBackup, RestoreBackup
from operations.scoping import only_visible, project_by_id

bp = Blueprint("backups", __name__)



def _accepted(op: dict):
    return jsonify({"operation": operation_ref(op), "backup": {"id": op["backup_id"]},
                    "volume": {"id": op["volume_id"]}}), 202


@bp.post("/v1/volumes/<volume_id>/backups")
@require(write=True)
def create_backup(volume_id: str):
    body = CreateBackup.model_validate(optional_json_body())
    return _accepted(submit_backup(services(), volume_id, body, from_api()))


@bp.get("/v1/backups")
@require()
def list_backups():
    include = request.args.get("include_deleted", "").lower() in {"1", "true"}
    svc = services()
    backups = svc.backups.list(request.args.get("volume_id"), include_deleted=include)
    return jsonify({"backups": only_visible(g.identity, backups, project_by_id(svc.volumes, "volume_id"))})


@bp.get("/v1/backups/<backup_id>")
@require()
def get_backup(backup_id: str):
    return jsonify({"backup": services().backups.get(backup_id)})


@bp.post("/v1/backups/<backup_id>/restore")
@require(write=True)
def restore_backup(backup_id: str):
    body = RestoreBackup.model_validate(optional_json_body())
    return _accepted(submit_restore(services(), backup_id, body, from_api()))


@bp.delete("/v1/backups/<backup_id>")
@require(write=True)
def delete_backup(backup_id: str):
    return _accepted(submit_delete_backup(services(), backup_id, from_api()))
