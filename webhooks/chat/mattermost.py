"""Mattermost: a slash command carries the command's token in its form."""
from __future__ import annotations

import hmac

from infra.errors import Unauthorized


def verify(expected: str, given: str | None) -> None:
    if not expected:
        raise Unauthorized("no Mattermost command token is configured", code="unknown_source")
    if not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise Unauthorized("the command token does not match", code="bad_token")
