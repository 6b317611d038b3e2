"""Report-backs waiting to be delivered, being retried, or sent."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from infra.db.engine import Database
from infra.db.models import Notification, iso, utcnow

FINAL = ("sent", "dropped")  # never tried again


class NotificationStore:
    def __init__(self, db: Database):
        self.db = db

    def add(self, operation_id: str, target: str, method: str, url: str, payload: dict) -> dict:
        with self.db.session() as s:
            row = Notification(operation_id=operation_id, target=target, method=method, url=url, payload=payload,
                               state="pending", attempts=0, next_attempt_at=utcnow())
            s.add(row)
            s.flush()
            return view(row)

    def get(self, notification_id: str) -> dict:
        with self.db.session() as s:
            return view(s.get(Notification, notification_id))

    def claim(self, notification_id: str, now: datetime, lease_s: float) -> dict | None:
        """Takes a due delivery for one attempt (compare-and-swap on its due time, pushed
        past the attempt's end), so the job queued at the end and the sweep never both
        send it. None: sent, or not due."""
        with self.db.session() as s:
            taken = s.execute(update(Notification).where(
                Notification.id == notification_id, Notification.state.not_in(FINAL),
                Notification.next_attempt_at <= now).values(
                attempts=Notification.attempts + 1, next_attempt_at=now + timedelta(seconds=lease_s)))
            return view(s.get(Notification, notification_id)) if taken.rowcount == 1 else None

    def due(self, now: datetime, limit: int = 50) -> list[str]:
        with self.db.session() as s:
            return list(s.scalars(select(Notification.id).where(
                Notification.state.not_in(FINAL), Notification.next_attempt_at <= now)
                .order_by(Notification.next_attempt_at).limit(limit)))

    def sent(self, notification_id: str, now: datetime) -> None:
        with self.db.session() as s:
            s.execute(update(Notification).where(Notification.id == notification_id).values(
                state="sent", sent_at=now, last_error=None))

    def dropped(self, notification_id: str, reason: str) -> None:
        """Not sent, and never to be: the receiver would no longer take it."""
        with self.db.session() as s:
            s.execute(update(Notification).where(Notification.id == notification_id).values(
                state="dropped", last_error=reason))

    def failed(self, notification_id: str, error: str, retry_at: datetime) -> None:
        with self.db.session() as s:
            s.execute(update(Notification).where(Notification.id == notification_id).values(
                state="failed", last_error=error, next_attempt_at=retry_at))


def for_operation(session, operation_id: str) -> list[dict]:
    rows = session.scalars(select(Notification).where(Notification.operation_id == operation_id)
                           .order_by(Notification.created_at))
    return [view(r) for r in rows]


def view(n: Notification) -> dict:
    return {
        "id": n.id, "operation_id": n.operation_id, "target": n.target, "method": n.method, "url": n.url,
        "payload": n.payload, "state": n.state, "attempts": n.attempts,
        "next_attempt_at": None if n.state == "sent" else iso(n.next_attempt_at), "last_error": n.last_error,
        "created": iso(n.created_at), "sent": iso(n.sent_at),
    }
