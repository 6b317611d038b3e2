from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.auth import require, services
from api.origin import from_api
from api.request_body import json_body
from api.views import operation_ref
from infra.errors import Invalid
from operations.origin import Origin
from operations.requests import RebuildHost, SnapshotHost
from operations.snapshots import submit_rebuild, submit_snapshot

bp = Blueprint("snapshots", __name__)


def _origin() -> Origin:
    _refuse_dry_run()
    return from_api()


def _refuse_dry_run() -> None:
    """These operations have no plan; a request asking for one must not act instead."""
    if request.args.get("dry_run", "").lower() in {"1", "true", "yes"}:
        raise Invalid("snapshot and rebuild have no dry run", code="dry_run_not_supported")


@bp.post("/v1/hosts/<host_id>/snapshot")
@require(write=True)
def snapshot_host(host_id: str):
    op = submit_snapshot(services(), host_id, SnapshotHost.model_validate(json_body()), _origin())
    body = {"operation": operation_ref(op), "host": {"id": host_id}, "image": {"id": op["params"]["image_id"]}}
    return jsonify(body), 202, {"Location": operation_ref(op)["url"]}


@bp.post("/v1/hosts/<host_id>/rebuild")
@require(write=True)
def rebuild_host(host_id: str):
    op = submit_rebuild(services(), host_id, RebuildHost.model_validate(json_body()), _origin())
    body = {"operation": operation_ref(op), "host": {"id": host_id}, "image": {"id": op["params"]["image_id"]}}
    return jsonify(body), 202, {"Location": operation_ref(op)["url"]}
