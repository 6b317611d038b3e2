from __future__ import annotations

from flask import Blueprint, jsonify

from api.auth import require, services
from api.openapi.document import document

bp = Blueprint("misc", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/v1/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/v1/hypervisors")
@require()
def hypervisors():
    return jsonify({"hypervisors": services().hypervisors.all()})

