"""Interactive console sessions: the audit of who opened a host's console, from where,
and when it opened and closed. What passed through it is never kept."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from infra.db.engine import Database
from infra.db.models import ConsoleSession, iso


class ConsoleSessionStore:
    def __init__(self, db: Database):
        self.db = db

    def opened(self, session_id: str, host_id: str, requester: str, source: str) -> None:
        with self.db.session() as s:
            s.add(ConsoleSession(id=session_id, host_id=host_id, requester=requester, source=source,
                                 opened_at=datetime.now(UTC)))

    def closed(self, session_id: str) -> None:
        with self.db.session() as s:
            row = s.get(ConsoleSession, session_id)
            if row is not None and row.closed_at is None:
                row.closed_at = datetime.now(UTC)

    def of_host(self, host_id: str, limit: int = 50) -> list[dict]:
        with self.db.reading() as s:
            rows = s.scalars(select(ConsoleSession).where(ConsoleSession.host_id == host_id)
                             .order_by(ConsoleSession.opened_at.desc()).limit(limit))
            return [{"id": r.id, "requester": r.requester, "source": r.source, "opened": iso(r.opened_at),
                     "closed": iso(r.closed_at)} for r in rows]
