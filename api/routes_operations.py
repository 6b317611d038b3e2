from __future__ import annotations

from flask import Blueprint, jsonify

from api.auth import require, services
from api.submit import retry
from api.views import operation_full, operation_ref

bp = Blueprint("operations", __name__)


@bp.get("/v1/operations/<op_id>")
@require()
def get_operation(op_id: str):
    return jsonify({"operation": operation_full(services().operations.get(op_id))})


@bp.post("/v1/operations/<op_id>/retry")
@require(write=True)
def retry_operation(op_id: str):
    op = retry(services(), op_id)
    return jsonify({"operation": operation_ref(op)}), 202
