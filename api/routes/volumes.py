from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from api.auth import require, services
from api.origin import from_api
from api.request_body import json_body
from api.views import operation_ref
from operations.requests import AttachVolume, CreateVolume, ExtendVolume
from operations.scoping import only_visible
from operations.volumes import submit_attach, submit_create_volume, submit_delete_volume, submit_detach, submit_extend

bp = Blueprint("volumes", __name__)


def _accepted(op: dict):
    if op.get("dry_run"):
        return jsonify(op), 200
    return jsonify({"operation": operation_ref(op), "volume": {"id": op["volume_id"]}}), 202


def _dry_run() -> bool:
    return request.args.get("dry_run", "").lower() in {"1", "true", "yes"}


def _submit(submit, *args):
    """The operation, or with `?dry_run=true` its plan (which needs no Idempotency-Key)."""
    dry_run = _dry_run()
    return _accepted(submit(services(), *args, from_api(dry_run=dry_run), dry_run=dry_run))


@bp.post("/v1/volumes")
@require(write=True)
def create_volume():
    body = CreateVolume.model_validate(json_body())
    return _submit(submit_create_volume, body)


@bp.get("/v1/volumes")
@require()
def list_volumes():
    return jsonify({"volumes": only_visible(g.identity, services().volumes.list())})


@bp.get("/v1/volumes/<volume_id>")
@require()
def get_volume(volume_id: str):
    return jsonify({"volume": services().volumes.get(volume_id)})


@bp.delete("/v1/volumes/<volume_id>")
@require(write=True)
def delete_volume(volume_id: str):
    return _submit(submit_delete_volume, volume_id)


@bp.post("/v1/hosts/<host_id>/volumes")
@require(write=True)
def attach(host_id: str):
    body = AttachVolume.model_validate(json_body())
    return _submit(submit_attach, host_id, body.volume_id)


@bp.delete("/v1/hosts/<host_id>/volumes/<volume_id>")
@require(write=True)
def detach(host_id: str, volume_id: str):
    return _submit(submit_detach, host_id, volume_id)


@bp.post("/v1/volumes/<volume_id>/extend")
@require(write=True)
def extend(volume_id: str):
    body = ExtendVolume.model_validate(json_body())
    return _submit(submit_extend, volume_id, body.size_gb)
