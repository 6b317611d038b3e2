"""`GET /v1/audit`: who asked for what, from where (admin)."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, jsonify, request

from api.auth import require, services
from api.request_body import query_int
from infra.db.audit import AuditFilter, AuditLog
from infra.errors import Invalid
from operations.redaction import shown_reply_to

bp = Blueprint("audit", __name__)

FILTERS = {"requester", "source", "kind", "since", "until", "limit"}
MAX_LIMIT = 1000


def _moment(name: str) -> datetime | None:
    """ISO 8601; without an offset, UTC."""
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise Invalid(f"{name}: not an ISO 8601 date-time: {raw!r}") from exc
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00+01:00: before year 1 in UTC
        raise Invalid(f"{name}: out of range in UTC: {raw!r}") from exc


def _filter() -> AuditFilter:
    unknown = sorted(set(request.args) - FILTERS)
    if unknown:
        raise Invalid(f"unknown filter {unknown[0]!r}", code="unknown_filter", details={"allowed": sorted(FILTERS)})
    return AuditFilter(requester=request.args.get("requester"), source=request.args.get("source"),
                       kind=request.args.get("kind"), since=_moment("since"), until=_moment("until"),
                       limit=query_int("limit", 100, 1, MAX_LIMIT))


@bp.get("/v1/audit")
@require(admin=True)
def audit():
    records, total = AuditLog(services().operations.db).list(_filter())
    shown = [{**r, "reply_to": shown_reply_to(r.get("reply_to"))} for r in records]
    return jsonify({"records": shown, "total": total})
