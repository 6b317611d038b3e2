"""Bearer tokens (hashed at rest) and webhook signatures (HMAC-SHA256, constant time)."""
from __future__ import annotations

import hashlib
import hmac
from functools import wraps

from flask import current_app, g, request

from infra.errors import HostflowError, Unauthorized


class Forbidden(HostflowError):
    code, status = "forbidden", 403


def services():
    return current_app.extensions["hostflow"]


def _identity():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token", code="missing_token")
    identity = services().tokens.lookup(token.strip())
    if identity is None:
        raise Unauthorized("invalid token", code="invalid_token")
    return identity


def require(write: bool = False, admin: bool = False):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            g.identity = _identity()
            if write and g.identity["role"] == "viewer":
                raise Forbidden("this token may only read")
            if admin and g.identity["role"] != "admin":
                raise Forbidden("this call needs an admin token")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def verify_signature(secret: str | None, body: bytes, header: str | None) -> None:
    if not secret:
        raise Unauthorized("no secret is configured for this source", code="unknown_source")
    if not header or not header.startswith("sha256="):
        raise Unauthorized("missing X-Hub-Signature-256", code="missing_signature")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), header.strip().encode()):
        raise Unauthorized("signature does not match the body", code="bad_signature")
