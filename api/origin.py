"""The Origin of a request made to the API or the dashboard: source, the caller's name, the key,
and the projects the token sees."""
from __future__ import annotations

from flask import g, request

from operations.origin import Origin
from operations.scoping import sees_for


def from_api() -> Origin:
    return Origin("api", g.identity["name"], request.headers.get("Idempotency-Key"), sees=sees_for(g.identity))


def from_dashboard(key: str | None = None) -> Origin:
    """The dashboard's forms carry their idempotency key as a hidden field."""
    return Origin("dashboard", g.identity["name"], key or None, sees=sees_for(g.identity))
