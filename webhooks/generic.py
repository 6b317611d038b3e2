"""A generic tool's signed request (`{"operation", "params"}`) becomes an operation,
within the projects its source acts in (webhooks.sources).

The signature covers a timestamp and the body (`sha256=<HMAC of "<timestamp>.<body>">`):
a delivery more than 5 minutes old (or ahead) is refused, so a captured one cannot be
replayed later; the signed body is the key (`<source>:sha256:<hex>`), so the same request
resent within them, under whatever header, is the operation it already made (a distinct
`request_id` in the body makes the same request asked again a new one)."""
from __future__ import annotations

import hashlib
import hmac
import re
import time

from infra.errors import Invalid, NotFound, Unauthorized
from operations.hosts import submit_allocate, submit_reclaim
from operations.origin import Origin
from operations.requests import GenericWebhook, ReclaimHost, validate_allocate
from operations.services import Services
from webhooks import sources

SIGNATURE_HEADER = "X-Hub-Signature-256"
TIMESTAMP_HEADER = "X-Hostflow-Timestamp"
MAX_SKEW_S = 300
STAMP = re.compile(r"[0-9]{1,12}")  # Unix seconds, ASCII digits only


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: str | None, timestamp: str | None, body: bytes, given: str | None,
           now: float | None = None) -> None:
    """Unauthorized unless `given` signs "<timestamp>.<body>" and the timestamp is within
    5 minutes of now."""
    if not secret:
        raise Unauthorized("no secret is configured for this source", code="unknown_source")
    if not given or not given.strip().startswith("sha256="):
        raise Unauthorized(f"missing {SIGNATURE_HEADER}", code="missing_signature")
    if not timestamp or not timestamp.strip():
        raise Unauthorized(f"missing {TIMESTAMP_HEADER}: sign \"<{TIMESTAMP_HEADER}>.<raw body>\" "
                           "with the source's secret", code="missing_timestamp")
    stamp = timestamp.strip()
    if not STAMP.fullmatch(stamp):
        raise Unauthorized(f"{TIMESTAMP_HEADER} is not Unix seconds", code="stale_request")
    if not hmac.compare_digest(signature(secret, stamp, body).encode(), given.strip().encode()):
        raise Unauthorized(f"signature does not match the {TIMESTAMP_HEADER} and the body", code="bad_signature")
    if abs((now if now is not None else time.time()) - int(stamp)) > MAX_SKEW_S:
        raise Unauthorized(f"{TIMESTAMP_HEADER} is more than {MAX_SKEW_S} s from now: a replay, or a clock off",
                           code="stale_request")


def delivery_key(source: str, body: bytes) -> str:
    """What the signature covers, not a header: the same signed body is the same request."""
    return f"{source}:sha256:{hashlib.sha256(body).hexdigest()}"


def submit_generic(svc: Services, source: str, hook: GenericWebhook, key: str | None) -> dict:
    done = svc.operations.by_key(key) if key else None
    if done is not None:  # the same signed request again: what it made, nothing looked up anew
        return done
    origin = Origin(source, source, key, sees=sources.sees(svc.settings, source))
    if hook.operation == "allocate_host":
        request = validate_allocate(hook.params, svc.settings)
        sources.check_creates_in(svc.settings, source, request.project)
        return submit_allocate(svc, request, origin)[0]
    if hook.operation == "reclaim_host":
        params = ReclaimHost.model_validate(hook.params)
        _check_host(svc, source, params.host_id)
        return submit_reclaim(svc, params.host_id, origin, delete_volumes=params.delete_volumes)[0]
    raise Invalid(f"unknown operation {hook.operation!r}", code="unknown_operation")


def _check_host(svc: Services, source: str, host_id: str) -> None:
    """Another project's host is as absent as an unknown one."""
    if not sources.sees(svc.settings, source)(svc.hosts.get(host_id)["project"]):
        raise NotFound(f"host {host_id} not found", code="host_not_found")
