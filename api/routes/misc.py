from __future__ import annotations

from flask import Blueprint, jsonify

from api.auth import require, services
from api.openapi.document import document
from operations import health

bp = Blueprint("misc", __name__)


@bp.get("/healthz")
def healthz():
    """Liveness: the API process answers (scripts/stack.sh waits on it); nothing else is checked."""
    return jsonify({"status": "ok"})


@bp.get("/v1/healthz")
@require()
def health_report():
    """What the control plane reaches, its workers and its sweeps (operations.health):
    200 whether `ok` or `degraded`, the report being the answer."""
    svc = services()
    return jsonify(health.report(svc, health.probes(svc.settings)))


@bp.get("/v1/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/v1/hypervisors")
@require()
def hypervisors():
    return jsonify({"hypervisors": services().hypervisors.all()})

