"""The dashboard's logins, kept in the database so every API worker process sees the same:
the live sessions (a logout deletes its row, so a copied cookie is refused after it) and
the recent failed logins per client address (the login limit). Both prune what has
expired whenever they write, so neither table grows without bound."""
from __future__ import annotations

import hashlib
import math
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from infra.db.engine import Database
from infra.db.models import UiLoginFailure, UiSession, utcnow


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes, which are UTC here."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class UiSessionStore:
    def __init__(self, db: Database):
        self.db = db

    def start(self, max_age_s: int, now: datetime | None = None) -> str:
        """A new session's id (only its SHA-256 is stored), live until `end` or for max_age_s."""
        now = now or utcnow()
        session_id = secrets.token_urlsafe(32)
        with self.db.session() as s:
            s.execute(delete(UiSession).where(UiSession.expires_at <= now))
            s.add(UiSession(id=_hash(session_id), created_at=now, expires_at=now + timedelta(seconds=max_age_s)))
        return session_id

    def live(self, session_id: object, now: datetime | None = None) -> bool:
        if not isinstance(session_id, str) or not session_id:
            return False
        with self.db.reading() as s:
            return s.scalar(select(UiSession.id).where(UiSession.id == _hash(session_id),
                                                       UiSession.expires_at > (now or utcnow()))) is not None

    def end(self, session_id: object, now: datetime | None = None) -> None:
        """Idempotent: ending an ended (or unknown) session changes nothing."""
        now = now or utcnow()
        with self.db.session() as s:
            s.execute(delete(UiSession).where(UiSession.expires_at <= now))
            if isinstance(session_id, str) and session_id:
                s.execute(delete(UiSession).where(UiSession.id == _hash(session_id)))


class LoginLimiter:
    """At most `max_failures` failed logins per address within `window_s` seconds (0: no limit).

    An attempt is recorded before its token is checked and counted as failed until
    `succeeded` removes it, so concurrent attempts from one address (two worker processes,
    threads in each) cannot all slip under the limit. A success removes only its own
    attempt: the earlier failures of its address still age out of the window, not sooner."""

    def __init__(self, db: Database, max_failures: int, window_s: int):
        self.db, self.max_failures, self.window_s = db, max_failures, window_s

    def attempt(self, address: str, now: datetime | None = None) -> tuple[str | None, int]:
        """(the attempt's id, 0), or, when the address is over its limit, nothing recorded:
        (None, the seconds until enough of its failures have aged out)."""
        now = now or utcnow()
        address = address[:64]
        since = now - timedelta(seconds=self.window_s)
        with self.db.session() as s:
            s.execute(delete(UiLoginFailure).where(UiLoginFailure.at <= since))
            if self.max_failures > 0:
                recent = list(s.scalars(select(UiLoginFailure.at).where(
                    UiLoginFailure.address == address, UiLoginFailure.at > since).order_by(UiLoginFailure.at)))
                if len(recent) >= self.max_failures:
                    frees = _aware(recent[len(recent) - self.max_failures]) + timedelta(seconds=self.window_s)
                    return None, max(1, math.ceil((frees - now).total_seconds()))
            row = UiLoginFailure(address=address, at=now)
            s.add(row)
            s.flush()
            return row.id, 0

    def succeeded(self, attempt_id: str) -> None:
        with self.db.session() as s:
            s.execute(delete(UiLoginFailure).where(UiLoginFailure.id == attempt_id))
