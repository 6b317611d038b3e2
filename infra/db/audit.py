"""The audit trail: who asked for each operation and from where, read from the
operations table (every operation records its source, requester and reply_to)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from infra.db.engine import Database
from infra.db.models import Operation, iso


@dataclass(frozen=True)
class AuditFilter:
    requester: str | None = None
    source: str | None = None
    kind: str | None = None
    since: datetime | None = None  # created at or after, UTC
    until: datetime | None = None  # created before, UTC
    limit: int = 100

    def where(self) -> list:
        where = [getattr(Operation, f) == getattr(self, f) for f in ("requester", "source", "kind")
                 if getattr(self, f) is not None]
        if self.since is not None:
            where.append(Operation.created_at >= self.since)
        if self.until is not None:
            where.append(Operation.created_at < self.until)
        return where


class AuditLog:
    def __init__(self, db: Database):
        self.db = db

    def list(self, f: AuditFilter) -> tuple[list[dict], int]:
        """Newest first, at most `f.limit`, and how many match in all."""
        with self.db.session() as s:
            total = s.scalar(select(func.count()).select_from(Operation).where(*f.where()))
            rows = s.scalars(select(Operation).where(*f.where())
                             .order_by(Operation.created_at.desc()).limit(f.limit))
            return [record(op) for op in rows], total


def record(op: Operation) -> dict:
    return {"operation": op.id, "kind": op.kind, "state": op.state, "source": op.source,
            "requester": op.requester, "reply_to": op.reply_to, "host_id": op.host_id, "volume_id": op.volume_id,
            "created": iso(op.created_at), "finished": iso(op.finished_at)}
