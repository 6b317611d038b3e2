"""The Origin of a request made to the API or the dashboard: source, the caller's name, the key."""
from __future__ import annotations

from flask import g, request

from operations.origin import Origin


def from_api() -> Origin:
    return Origin("api", g.identity["name"], request.headers.get("Idempotency-Key"))


def from_dashboard(key: str | None = None) -> Origin:
    """The dashboard's forms carry their idempotency key as a hidden field."""
    return Origin("dashboard", g.identity["name"], key or None)
