"""HTTP calls out to ticketing systems; requests' errors become DeliveryFailed here."""
from __future__ import annotations

import requests

from infra.errors import HostflowError


class DeliveryFailed(HostflowError):
    code, status = "delivery_failed", 502


def send(method: str, url: str, body: dict, auth: tuple[str, str] | None, timeout: float) -> None:
    try:
        resp = requests.request(method, url, json=body, auth=auth, timeout=timeout, allow_redirects=False,
                                headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise DeliveryFailed(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
    if resp.status_code >= 300:
        raise DeliveryFailed(f"{method} {url}: HTTP {resp.status_code}: {resp.text[:200]}")
