"""Mattermost: a slash command carries the command's token in its form. Nothing is
signed and nothing dates the request: whoever captured one holds the token and can send any
command, so no key stops a replay. Its `trigger_id` (one per invocation) tells a duplicate
of the same delivery from the same command typed again, so that is deduplicated."""
from __future__ import annotations

import hashlib
import hmac

from infra.errors import Unauthorized


def verify(expected: str, given: str | None) -> None:
    if not expected:
        raise Unauthorized("no Mattermost command token is configured", code="unknown_source")
    if not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise Unauthorized("the command token does not match", code="bad_token")


def delivery_key(trigger_id: str | None) -> str | None:
    """None without a trigger_id: two invocations of one command could not be told apart."""
    return "mattermost:" + hashlib.sha256(trigger_id.encode()).hexdigest() if trigger_id else None
