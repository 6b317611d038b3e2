"""Who a request comes from, for the dashboard's login limit.

The direct peer, unless it is one of the reverse proxies named in settings
(`trusted_proxies`): then `X-Forwarded-For`, read from the right, skipping the
trusted proxies, as nginx's `real_ip_recursive` does. The first entry that is not a
trusted proxy is the client; anything left of it was written by the client and is not
believed. With no trusted proxies the header is never read, so a client cannot pick
the address it is counted under."""
from __future__ import annotations

import ipaddress
from functools import lru_cache

from infra.errors import Invalid

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def trusted_networks(setting: str) -> tuple[Network, ...]:
    """The API reads it once at start (api.app.create_app): a bad entry stops it there."""
    try:
        return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in setting.split(",") if item.strip())
    except ValueError as exc:
        raise Invalid(f"HOSTFLOW_TRUSTED_PROXIES: {exc}", code="trusted_proxies_invalid") from None


def _trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def client_ip(peer: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    if not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def counted_as(address: str) -> str:
    """An IPv6 client by its /64, which one host usually has whole."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)
