"""What an operation shows to whoever reads it (the API, the dashboard, chat's `status`,
the audit), less the capabilities it keeps for its report-back. A chat command's
`response_url` is a bearer capability: whoever holds it may post into the channel (Slack:
for 30 minutes, five times). The record keeps it for the notifier; nothing shows it."""
from __future__ import annotations

from urllib.parse import urlsplit

CAPABILITIES = frozenset({"response_url"})  # reply_to keys that are credentials
HIDDEN = "<reply url hidden>"


def shown_reply_to(reply_to: dict | None) -> dict | None:
    """reply_to without its capabilities: the target, ticket key, channel etc. stay."""
    if not isinstance(reply_to, dict):
        return reply_to
    return {k: v for k, v in reply_to.items() if k not in CAPABILITIES}


def shown_operation(op: dict) -> dict:
    """The operation as it may be shown: its reply_to without capabilities, and its
    reports' errors (which name the URL they failed to post to) without them either."""
    secrets = _secrets(op.get("reply_to"))
    view = {**op}
    if "reply_to" in op:
        view["reply_to"] = shown_reply_to(op["reply_to"])
    if op.get("notifications"):
        view["notifications"] = [{**n, "last_error": _scrub(n.get("last_error"), secrets)} if "last_error" in n else n
                                 for n in op["notifications"]]
    return view


def _secrets(reply_to: dict | None) -> list[str]:
    """The capability URLs, and their path and query (an HTTP library's error may name
    the path alone), longest first."""
    found = []
    for key in CAPABILITIES:
        url = reply_to.get(key) if isinstance(reply_to, dict) else None
        if not isinstance(url, str) or not url:
            continue
        found.append(url)
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        tail = parts.path + (f"?{parts.query}" if parts.query else "")
        if tail.strip("/"):
            found.append(tail)
    return sorted(set(found), key=len, reverse=True)


def _scrub(text, secrets: list[str]):
    if not isinstance(text, str):
        return text
    for secret in secrets:
        text = text.replace(secret, HIDDEN)
    return text
