"""Where a request came from: what every recorded operation remembers of it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from operations.lookup import everyone


@dataclass(frozen=True)
class Origin:
    """The face (`api`, `dashboard`, `slack`, `jira`, ...), who asked, the request's
    idempotency key, and where the operation's end is reported (tickets and chat).
    `sees`: the projects whose images the caller may name (a token's, a chat user's, a
    webhook source's, a Prefect UI run's one project); every project where they are not
    known (housekeeping)."""

    source: str
    requester: str
    key: str | None = None
    reply_to: dict | None = None
    sees: Callable[[str], bool] = field(default=everyone, compare=False, repr=False)

    def keyed(self, fallback: str) -> Origin:
        """This origin, with `fallback` as its key when the request brought none."""
        return self if self.key else replace(self, key=fallback)
