"""Shares: records an admin manages; attached to hosts at allocate (their environment's)
or through these calls (operations)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.auth import require, services
from api.origin import from_api
from api.request_body import json_body
from api.views import operation_ref
from infra.db.shares import ShareStore
from operations.share_requests import AttachShare, CreateShare
from operations.shares import submit_attach_share, submit_detach_share

bp = Blueprint("shares", __name__)


def _store() -> ShareStore:
    return services().shares



def _accepted(op: dict):
    return jsonify({"operation": operation_ref(op), "host": {"id": op["host_id"]},
                    "share": {"name": op["params"]["share"]}}), 202


@bp.get("/v1/shares")
@require()
def list_shares():
    return jsonify({"shares": _store().list(request.args.get("env"))})


@bp.get("/v1/shares/<name>")
@require()
def get_share(name: str):
    return jsonify({"share": _store().get(name)})


@bp.post("/v1/shares")
@require(write=True, admin=True)
def create_share():
    body = CreateShare.model_validate(json_body())
    return jsonify({"share": _store().create(body.record(services().settings.share_root_paths()))}), 201


@bp.get("/v1/hosts/<host_id>/shares")
@require()
def host_shares(host_id: str):
    services().hosts.get(host_id)
    return jsonify({"shares": _store().for_host(host_id)})


@bp.post("/v1/hosts/<host_id>/shares")
@require(write=True)
def attach(host_id: str):
    body = AttachShare.model_validate(json_body())
    return _accepted(submit_attach_share(services(), host_id, body.name, from_api()))


@bp.delete("/v1/hosts/<host_id>/shares/<name>")
@require(write=True)
def detach(host_id: str, name: str):
    return _accepted(submit_detach_share(services(), host_id, name, from_api()))


@bp.delete("/v1/shares/<name>")
@require(write=True, admin=True)
def delete_share(name: str):
    return jsonify({"share": _store().delete(name)})
