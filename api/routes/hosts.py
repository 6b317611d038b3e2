from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from api.auth import require, services
from api.origin import from_api
from api.request_body import json_body
from api.views import operation_ref
from operations.hosts import plan_allocate, submit_allocate, submit_reclaim
from operations.requests import ReclaimOptions, validate_allocate
from operations.scoping import only_visible, sees_for

bp = Blueprint("hosts", __name__)


def _flag(name: str) -> bool:
    return request.args.get(name, "").lower() in {"1", "true", "yes"}


def _dry_run() -> bool:
    return _flag("dry_run")


def reclaim_options() -> ReclaimOptions:
    """From the optional JSON body, or `?delete_volumes=true`."""
    body = json_body() if request.get_data(cache=True).strip() else {}
    options = ReclaimOptions.model_validate(body)
    return options.model_copy(update={"delete_volumes": options.delete_volumes or _flag("delete_volumes")})


@bp.post("/v1/hosts")
@require(write=True)
def create_host():
    svc = services()
    body = validate_allocate(json_body(), svc.settings)
    if _dry_run():
        return jsonify(plan_allocate(svc, body, sees_for(g.identity))), 200
    op, _ = submit_allocate(svc, body, from_api())
    resp = jsonify({"operation": operation_ref(op), "host": {"id": op["host_id"]}})
    return resp, 202, {"Location": operation_ref(op)["url"]}


@bp.get("/v1/hosts")
@require()
def list_hosts():
    include = request.args.get("include_deleted", "").lower() in {"1", "true"}
    return jsonify({"hosts": only_visible(g.identity, services().hosts.list(include_deleted=include))})


@bp.get("/v1/hosts/<host_id>")
@require()
def get_host(host_id: str):
    return jsonify({"host": services().hosts.get(host_id)})


@bp.delete("/v1/hosts/<host_id>")
@require(write=True)
def delete_host(host_id: str):
    svc = services()
    options = reclaim_options()
    if _dry_run():
        doomed = [v["id"] for v in svc.volumes.attached_to(host_id) if v["state"] == "in-use"]
        plan = svc.planner.reclaim(svc.hosts.get(host_id), doomed if options.delete_volumes else None)
        return jsonify(plan), 200
    op, _ = submit_reclaim(svc, host_id, from_api(), delete_volumes=options.delete_volumes)
    return jsonify({"operation": operation_ref(op), "host": {"id": host_id}}), 202
