"""Where a request came from: what every recorded operation remembers of it."""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Origin:
    """The face (`api`, `dashboard`, `slack`, `jira`, ...), who asked, the request's
    idempotency key, and where the operation's end is reported (tickets and chat)."""

    source: str
    requester: str
    key: str | None = None
    reply_to: dict | None = None

    def keyed(self, fallback: str) -> Origin:
        """This origin, with `fallback` as its key when the request brought none."""
        return self if self.key else replace(self, key=fallback)
