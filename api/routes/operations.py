from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from api.auth import require, services
from api.request_body import optional_json_body, query_int
from api.views import operation_full, operation_ref
from infra.errors import Invalid
from operations.approvals import NotAnApprover, cancel, decide, may_approve
from operations.retry import retry
from operations.scoping import visible_projects

bp = Blueprint("operations", __name__)

LIST_FILTERS = {"state", "kind", "limit"}
MAX_LIST = 500


def _limit() -> int:
    return query_int("limit", 50, 1, MAX_LIST)


@bp.get("/v1/operations")
@require()
def list_operations():
    unknown = sorted(set(request.args) - LIST_FILTERS)
    if unknown:
        raise Invalid(f"unknown filter {unknown[0]!r}", code="unknown_filter",
                      details={"allowed": sorted(LIST_FILTERS)})
    ops, total = services().operations.list(request.args.get("state"), request.args.get("kind"), _limit(),
                                            projects=visible_projects(g.identity))
    return jsonify({"operations": [operation_full(op) for op in ops], "total": total})


@bp.get("/v1/operations/<op_id>")
@require()
def get_operation(op_id: str):
    return jsonify({"operation": operation_full(services().operations.get(op_id))})


@bp.post("/v1/operations/<op_id>/retry")
@require(write=True)
def retry_operation(op_id: str):
    op = retry(services(), op_id)
    return jsonify({"operation": operation_ref(op)}), 202


@bp.post("/v1/operations/<op_id>/cancel")
@require(write=True)
def cancel_operation(op_id: str):
    op = cancel(services(), op_id, g.identity["name"])
    return jsonify({"operation": operation_full(op)}), 202


def _decide(op_id: str, decision: str):
    svc = services()
    if not may_approve(svc, g.identity["role"], g.identity["name"]):
        raise NotAnApprover("only an admin or a listed approver may answer an approval")
    note = optional_json_body().get("note", "")
    if not isinstance(note, str) or len(note) > 1000:
        raise Invalid("note: must be text of at most 1000 characters", code="invalid_note")
    return jsonify({"operation": operation_full(decide(svc, op_id, decision, g.identity["name"], note))}), 202


@bp.post("/v1/operations/<op_id>/approve")
@require(write=True)
def approve_operation(op_id: str):
    return _decide(op_id, "approved")


@bp.post("/v1/operations/<op_id>/reject")
@require(write=True)
def reject_operation(op_id: str):
    return _decide(op_id, "rejected")
