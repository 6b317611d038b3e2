from __future__ import annotations

from flask import Blueprint, jsonify

from api.auth import require, services
from api.origin import from_api
from api.request_body import json_body
from api.views import operation_ref
from operations.requests import ResizeHost
from operations.resize import submit_confirm, submit_resize, submit_revert

bp = Blueprint("resize", __name__)


def _accepted(op: dict):
    return jsonify({"operation": operation_ref(op), "host": {"id": op["host_id"]}}), 202


@bp.post("/v1/hosts/<host_id>/resize")
@require(write=True)
def resize(host_id: str):
    body = ResizeHost.model_validate(json_body())
    return _accepted(submit_resize(services(), host_id, body, from_api()))


@bp.post("/v1/hosts/<host_id>/resize/confirm")
@require(write=True)
def confirm(host_id: str):
    return _accepted(submit_confirm(services(), host_id, from_api()))


@bp.post("/v1/hosts/<host_id>/resize/revert")
@require(write=True)
def revert(host_id: str):
    return _accepted(submit_revert(services(), host_id, from_api()))
