"""HTTP calls out to ticketing systems and chat response URLs; requests' errors become
DeliveryFailed here.

A failure's message names the host, never the URL's path or query: a chat response_url
is a bearer capability (its path is the secret), and the message is logged and kept on
the notification's record."""
from __future__ import annotations

from urllib.parse import urlsplit

import requests

from infra.errors import HostflowError


class DeliveryFailed(HostflowError):
    code, status = "delivery_failed", 502


def shown(url: str) -> str:
    """`url` as it may be logged: scheme and host only."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}/…"


def _redacted(text: str, url: str) -> str:
    parts = urlsplit(url)
    secret = parts.path + (f"?{parts.query}" if parts.query else "")
    text = text.replace(url, shown(url))
    return text.replace(secret, "/…") if secret not in ("", "/") else text


def send(method: str, url: str, body: dict, auth: tuple[str, str] | None, timeout: float) -> None:
    try:
        resp = requests.request(method, url, json=body, auth=auth, timeout=timeout, allow_redirects=False,
                                headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise DeliveryFailed(_redacted(f"{method} {shown(url)}: {type(exc).__name__}: {exc}", url)) from exc
    if resp.status_code >= 300:
        raise DeliveryFailed(f"{method} {shown(url)}: HTTP {resp.status_code}: {_redacted(resp.text[:200], url)}")
