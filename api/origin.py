"""The Origin of a request made to the API or the dashboard: source, the caller's name, the key,
and the projects the token sees.

Every REST call that starts an operation must bring an `Idempotency-Key` (a retried request,
after a client's timeout, is then the same operation, never a second one): without one it is
`400 idempotency_key_required`, with one over 255 characters or holding a control character
`400 idempotency_key_invalid`, refused before anything is recorded. A dry run starts nothing
and needs none."""
from __future__ import annotations

import unicodedata

from flask import g, request

from infra.errors import HostflowError
from operations.origin import Origin
from operations.scoping import sees_for

KEY_HEADER = "Idempotency-Key"
MAX_KEY_CHARS = 255


class IdempotencyKeyRequired(HostflowError):
    code, status = "idempotency_key_required", 400


class IdempotencyKeyInvalid(HostflowError):
    code, status = "idempotency_key_invalid", 400


def request_key(required: bool = True) -> str | None:
    """The request's Idempotency-Key, checked; None only where it may be absent (a dry run)."""
    key = request.headers.get(KEY_HEADER)
    if key is None or not key.strip():
        if not required:
            return None
        raise IdempotencyKeyRequired(
            f"{request.method} {request.path} starts an operation: send an {KEY_HEADER} header "
            "(the same one again when retrying the request); nothing was done")
    if len(key) > MAX_KEY_CHARS:
        raise IdempotencyKeyInvalid(f"{KEY_HEADER} is over {MAX_KEY_CHARS} characters; nothing was done",
                                    details={"max_chars": MAX_KEY_CHARS})
    if any(unicodedata.category(c) == "Cc" for c in key):
        raise IdempotencyKeyInvalid(f"{KEY_HEADER} holds a control character; nothing was done")
    return key


def from_api(dry_run: bool = False) -> Origin:
    """The origin of a REST call that starts an operation: its key is required (see the module's
    doc). `dry_run`: the call only answers its plan, so the key may be absent."""
    return Origin("api", g.identity["name"], request_key(required=not dry_run), sees=sees_for(g.identity))


def from_dashboard(key: str | None = None) -> Origin:
    """The dashboard's forms carry their idempotency key as a hidden field."""
    return Origin("dashboard", g.identity["name"], key or None, sees=sees_for(g.identity))
