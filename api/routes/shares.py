"""Shares: records an admin manages, each a project's in one environment; attached to
hosts at allocate (their project's of their environment) or through these calls
(operations). An operator token sees only its projects' shares."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from api.auth import require, services
from api.origin import from_api
from api.request_body import json_body
from api.views import operation_ref
from infra.db.shares import ShareStore
from operations.scoping import visible_projects
from operations.share_requests import AttachShare, CreateShare
from operations.shares import record_share, submit_attach_share, submit_detach_share, visible_share

bp = Blueprint("shares", __name__)


def _store() -> ShareStore:
    return services().shares



def _accepted(op: dict):
    return jsonify({"operation": operation_ref(op), "host": {"id": op["host_id"]},
                    "share": {"name": op["params"]["share"]}}), 202


@bp.get("/v1/shares")
@require()
def list_shares():
    return jsonify({"shares": _store().list(request.args.get("env"), visible_projects(g.identity))})


@bp.get("/v1/shares/<name>")
@require()
def get_share(name: str):
    return jsonify({"share": visible_share(services(), name, g.identity)})


@bp.post("/v1/shares")
@require(write=True, admin=True)
def create_share():
    body = CreateShare.model_validate(json_body())
    return jsonify({"share": record_share(services(), body)}), 201


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
