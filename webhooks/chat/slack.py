"""Slack: slash commands are signed with the app's signing secret (v0)."""
from __future__ import annotations

import hashlib
import hmac
import re
import time

from infra.errors import Unauthorized

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
MAX_SKEW_S = 300
STAMP = re.compile(r"[0-9]{1,12}")  # Unix seconds


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def delivery_key(timestamp: str, body: bytes) -> str:
    """What the signature covers (the timestamp and the body): the same signed command
    delivered twice within its 5 minutes is one request; after them it is refused as stale."""
    return "slack:" + hashlib.sha256(f"v0:{timestamp.strip()}:".encode() + body).hexdigest()


def verify(secret: str, timestamp: str | None, body: bytes, given: str | None, now: float | None = None) -> None:
    """Unauthorized unless `given` signs this body at a timestamp within 5 minutes of now (no replays)."""
    if not secret:
        raise Unauthorized("no Slack signing secret is configured", code="unknown_source")
    if not timestamp or not given:
        raise Unauthorized(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER}", code="missing_signature")
    stamp = timestamp.strip()
    # ASCII digits only: str.isdigit() lets "²" through, which int() refuses (a 500)
    if not STAMP.fullmatch(stamp) or abs((now or time.time()) - int(stamp)) > MAX_SKEW_S:
        raise Unauthorized("the request timestamp is more than 300 s from now", code="stale_timestamp")
    if not hmac.compare_digest(signature(secret, stamp, body).encode(), given.strip().encode()):
        raise Unauthorized("signature does not match the body", code="bad_signature")
