from __future__ import annotations

from flask import Blueprint, jsonify

from api.auth import require, services
from api.origin import from_api
from api.request_body import json_body
from api.views import operation_ref
from operations.requests import RebuildHost, SnapshotHost
from operations.snapshots import submit_rebuild, submit_snapshot

bp = Blueprint("snapshots", __name__)


@bp.post("/v1/hosts/<host_id>/snapshot")
@require(write=True)
def snapshot_host(host_id: str):
    op = submit_snapshot(services(), host_id, SnapshotHost.model_validate(json_body()), from_api())
    body = {"operation": operation_ref(op), "host": {"id": host_id}, "image": {"id": op["params"]["image_id"]}}
    return jsonify(body), 202, {"Location": operation_ref(op)["url"]}


@bp.post("/v1/hosts/<host_id>/rebuild")
@require(write=True)
def rebuild_host(host_id: str):
    op = submit_rebuild(services(), host_id, RebuildHost.model_validate(json_body()), from_api())
    body = {"operation": operation_ref(op), "host": {"id": host_id}, "image": {"id": op["params"]["image_id"]}}
    return jsonify(body), 202, {"Location": operation_ref(op)["url"]}
