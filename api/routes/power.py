"""A host's power actions, its power history, and its serial console's tail."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.auth import require, services
from api.origin import from_api
from api.request_body import json_body
from api.views import operation_ref
from infra.errors import Invalid
from operations.power import plan_action, submit_action
from operations.requests import HostAction

bp = Blueprint("power", __name__)
MAX_LINES = 1000


@bp.post("/v1/hosts/<host_id>/actions")
@require(write=True)
def action(host_id: str):
    svc, body = services(), HostAction.model_validate(json_body())
    if request.args.get("dry_run", "").lower() in {"1", "true", "yes"}:
        return jsonify(plan_action(svc, host_id, body)), 200
    op = submit_action(svc, host_id, body, from_api())
    return jsonify({"operation": operation_ref(op), "host": {"id": host_id}}), 202, \
        {"Location": operation_ref(op)["url"]}


@bp.get("/v1/hosts/<host_id>/power-events")
@require()
def power_events(host_id: str):
    svc = services()
    svc.hosts.get(host_id)
    return jsonify({"host": host_id, "events": svc.power.events(host_id)})


@bp.get("/v1/hosts/<host_id>/console")
@require()
def console(host_id: str):
    """The serial console's last lines, read by the host's node: ANSI-stripped, bounded."""
    lines = _lines(request.args.get("lines", "50"))
    svc = services()
    host = svc.hosts.get(host_id)
    tail = svc.planner.console(host, lines)
    return jsonify({"host": host_id, "lines": lines, "console": tail["text"], "exists": tail["exists"]})


def _lines(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LINES:
        raise Invalid(f"lines: a whole number from 1 to {MAX_LINES}", code="invalid_request")
    return int(raw)
