"""The answers a chat slash command gets, and what is posted to the command's
`response_url` (progress, then the operation's end): only on an allowed host, and only
while it takes posts (Slack: 30 min)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from infra.errors import HostflowError
from webhooks.ticket import Report

CHAT_TARGETS = frozenset({"slack", "mattermost"})


class ResponseUrlRefused(HostflowError):
    code, status = "response_url_not_allowed", 400


def ephemeral(text: str) -> dict:
    return {"response_type": "ephemeral", "text": text}


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def check_response_url(url: str | None, settings) -> None:
    """A response_url must be https on one of the hosts in HOSTFLOW_CHAT_RESPONSE_HOSTS:
    hostflow posts results there, so a forged command cannot make it post anywhere else.
    Loopback over http only where HOSTFLOW_CHAT_RESPONSE_LOOPBACK says so (tests)."""
    if not url:
        return
    allowed = {h.strip().lower() for h in settings.chat_response_hosts.split(",") if h.strip()}
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # "http://[::1": not a URL at all
        parts, host = urlsplit(""), ""
    listed = parts.scheme == "https" and host in allowed
    loopback = settings.chat_response_loopback and parts.scheme in {"http", "https"} and host in LOOPBACK
    if not (listed or loopback):
        raise ResponseUrlRefused(f"response_url {url!r} is not https on one of the allowed chat response hosts "
                                 f"({', '.join(sorted(allowed)) or 'none'}); nothing was started",
                                 details={"allowed": sorted(allowed)})


def expires_at(settings, now: datetime | None = None) -> str:
    """When a command's response_url stops taking posts (Slack: 30 minutes after the command)."""
    return ((now or datetime.now(UTC)) + timedelta(seconds=settings.chat_response_ttl_s)).isoformat()


def expired(reply_to: dict | None, now: datetime) -> str | None:
    """Why a report to this chat reply_to may no longer be posted, or None."""
    stamp = (reply_to or {}).get("expires_at")
    if (reply_to or {}).get("target") not in CHAT_TARGETS or not stamp:
        return None
    deadline = datetime.fromisoformat(stamp)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    if now < deadline:
        return None
    return f"the response_url expired at {deadline.isoformat()} (it takes posts for a limited time after the command)"


def response(reply_to: dict, text: str, settings) -> Report:
    """The result, posted where the slash command said to (Slack and Mattermost take the same JSON)."""
    return Report("POST", reply_to["response_url"], {"response_type": "in_channel", "text": text})


def progress(reply_to: dict, text: str) -> Report:
    """A progress note: seen by the one who ran the command, the channel sees the result."""
    return Report("POST", reply_to["response_url"], {"response_type": "ephemeral", "replace_original": False,
                                                     "text": text})


def auth(settings) -> None:
    return None  # a response_url is its own credential
