"""Bearer tokens (hashed at rest) and webhook signatures (HMAC-SHA256, constant time)."""
from __future__ import annotations

import base64
import hashlib
import hmac
from functools import wraps

from flask import current_app, g, request

from api.scoping import check_request
from infra.errors import Unauthorized
from operations.scoping import Forbidden

__all__ = ["Forbidden", "require", "services", "verify_credentials", "verify_signature"]


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
            check_request(services(), g.identity)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def verify_signature(secret: str | None, body: bytes, header: str | None,
                     header_name: str = "X-Hub-Signature-256") -> None:
    if not secret:
        raise Unauthorized("no secret is configured for this source", code="unknown_source")
    if not header or not header.startswith("sha256="):
        raise Unauthorized(f"missing {header_name}", code="missing_signature")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), header.strip().encode()):
        raise Unauthorized("signature does not match the body", code="bad_signature")


def verify_credentials(scheme: str, secret: str | None, header: str | None) -> None:
    """A source that authenticates with HTTP basic (`secret` is "user:password") or a
    bearer token (`secret` is the token); compared in constant time."""
    if not secret:
        raise Unauthorized("no credentials are configured for this source", code="unknown_source")
    if scheme not in {"basic", "bearer"}:
        raise Unauthorized(f"this source's auth scheme {scheme!r} is neither basic nor bearer", code="unknown_source")
    given_scheme, _, given = (header or "").partition(" ")
    if given_scheme.lower() != scheme or not given.strip():
        raise Unauthorized(f"missing {scheme} Authorization", code="missing_credentials")
    expected = base64.b64encode(secret.encode()).decode() if scheme == "basic" else secret
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise Unauthorized("credentials do not match", code="bad_credentials")
