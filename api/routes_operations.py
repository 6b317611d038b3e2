from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from api.auth import require, services
from api.scoping import visible_projects
from api.submit import retry
from api.views import operation_full, operation_ref
from infra.errors import Invalid

bp = Blueprint("operations", __name__)

LIST_FILTERS = {"state", "kind", "limit"}
MAX_LIST = 500


def _limit() -> int:
    raw = request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIST:
        raise Invalid(f"limit: must be a whole number between 1 and {MAX_LIST}")
    return int(raw)


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
