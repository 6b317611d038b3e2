"""`GET /v1/drift`: the record compared with reality, and `POST /v1/drift/repairs`: the
repair of the safe findings (admin; operations.drift).

The POST takes no Idempotency-Key: each repair is its own operation keyed by its finding,
so the same request sent again while those run answers the same operations."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from api.auth import require, services
from api.request_body import optional_json_body
from infra.errors import Invalid
from operations import drift
from operations.origin import Origin
from operations.requests import DRIFT_KINDS, RepairDrift
from operations.scoping import sees_for

bp = Blueprint("drift", __name__)

FILTERS = {"kind"}


def _kinds() -> set[str] | None:
    """`kind`, repeated or comma-separated; None: every kind."""
    unknown = sorted(set(request.args) - FILTERS)
    if unknown:
        raise Invalid(f"unknown filter {unknown[0]!r}", code="unknown_filter", details={"allowed": sorted(FILTERS)})
    kinds = {k.strip() for raw in request.args.getlist("kind") for k in raw.split(",") if k.strip()}
    strange = sorted(kinds - set(DRIFT_KINDS))
    if strange:
        raise Invalid(f"kind: no finding is of kind {strange[0]!r}", code="unknown_kind",
                      details={"allowed": list(DRIFT_KINDS)})
    return kinds or None


def _only(found: dict, kinds: set[str] | None) -> dict:
    if kinds is None:
        return found
    return {**found, "counts": {k: n for k, n in found["counts"].items() if k in kinds},
            "findings": [f for f in found["findings"] if f["kind"] in kinds]}


@bp.get("/v1/drift")
@require(admin=True)
def report():
    kinds = _kinds()
    return jsonify(_only(drift.report(services()), kinds))


@bp.post("/v1/drift/repairs")
@require(write=True, admin=True)
def repair():
    body = RepairDrift.model_validate(optional_json_body())
    only = None if body.findings is None else set(body.findings)
    origin = Origin("api", g.identity["name"], sees=sees_for(g.identity))
    return jsonify(drift.repair(services(), origin, only)), 202
