"""The declarative base every table derives from, and the column defaults and value
helpers they share: the time now in UTC, ISO 8601 for the answers, new ids."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import DeclarativeBase


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC; SQLite hands back naive datetimes, which are UTC here."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass
