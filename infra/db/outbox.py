"""The outbox of operations to hand to the flow runners' queue (models.OutboxEntry).

Entries are written by OperationStore in the transaction that makes an operation
queued, and removed in the one that hands it to a runner; this store is the relay's
view of them: which are due, one relay at a time for each (a claim with a lease)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update

from infra.db.engine import Database
from infra.db.models import OutboxEntry, iso, utcnow


class OutboxStore:
    def __init__(self, db: Database):
        self.db = db

    def add(self, operation_id: str, attempt: int, gate: bool = False) -> None:
        """An entry for an operation recorded `queued` without one (a deferred start)."""
        with self.db.session() as s:
            s.merge(OutboxEntry(operation_id=operation_id, attempt=attempt, gate=gate, created_at=utcnow(),
                                claimed_until=None, tries=0, last_error=None))

    def pending(self, older_than: datetime, limit: int = 200) -> list[dict]:
        """Entries written before `older_than`, oldest first."""
        with self.db.reading() as s:
            rows = s.scalars(select(OutboxEntry).where(OutboxEntry.created_at <= older_than)
                             .order_by(OutboxEntry.created_at).limit(limit))
            return [_view(r) for r in rows]

    def entries(self, operation_id: str) -> list[dict]:
        with self.db.reading() as s:
            rows = s.scalars(select(OutboxEntry).where(OutboxEntry.operation_id == operation_id)
                             .order_by(OutboxEntry.attempt))
            return [_view(r) for r in rows]

    def claim(self, operation_id: str, attempt: int, lease_s: float, now: datetime | None = None) -> dict | None:
        """Takes the entry for one relay (compare-and-swap on its lease), so the API's
        relay and the sweep never both work on it. None: gone, or another relay has it."""
        now = now or utcnow()
        with self.db.session() as s:
            taken = s.execute(update(OutboxEntry).where(
                OutboxEntry.operation_id == operation_id, OutboxEntry.attempt == attempt,
                or_(OutboxEntry.claimed_until.is_(None), OutboxEntry.claimed_until < now)).values(
                claimed_until=now + timedelta(seconds=lease_s), tries=OutboxEntry.tries + 1))
            if taken.rowcount != 1:
                return None
            return _view(s.get(OutboxEntry, (operation_id, attempt)))

    def release(self, operation_id: str, attempt: int, error: str | None = None) -> None:
        """Ends a relay's claim, with why the queue refused the entry if it did."""
        with self.db.session() as s:
            s.execute(update(OutboxEntry).where(OutboxEntry.operation_id == operation_id,
                                                OutboxEntry.attempt == attempt)
                      .values(claimed_until=None, last_error=error))

    def drop(self, operation_id: str, attempt: int) -> None:
        with self.db.session() as s:
            s.execute(delete(OutboxEntry).where(OutboxEntry.operation_id == operation_id,
                                                OutboxEntry.attempt == attempt))

    def summary(self) -> dict:
        """How many entries wait, and since when the oldest: for the health report."""
        with self.db.reading() as s:
            count, oldest = s.execute(select(func.count(), func.min(OutboxEntry.created_at))).one()
            return {"pending": count, "oldest": iso(oldest)}


def _view(row: OutboxEntry) -> dict:
    return {"operation_id": row.operation_id, "attempt": row.attempt, "gate": row.gate,
            "created": iso(row.created_at), "tries": row.tries, "last_error": row.last_error}
