"""Domain names as hostflow handles them: lower case, no trailing dot, checked
against the managed zones. Pure functions (no DNS library)."""
from __future__ import annotations

import ipaddress
import re

LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
FQDN = re.compile(rf"^({LABEL}\.)+{LABEL}$")
MAX_NAME = 253


def normalise(name: str) -> str:
    return name.strip().lower().removesuffix(".")


def is_fqdn(name: str) -> bool:
    """At least two labels, each a DNS label (RFC 1123), 253 characters at most."""
    name = normalise(name)
    return len(name) <= MAX_NAME and FQDN.match(name) is not None


def is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def reverse_zone(subnet: str) -> str:
    """The in-addr.arpa zone of the subnet, cut at the octet boundary at or above its
    prefix (10.213.0.0/24 -> 0.213.10.in-addr.arpa)."""
    net = ipaddress.ip_network(subnet, strict=False)
    octets = str(net.network_address).split(".")[: max(1, net.prefixlen // 8)]
    return ".".join(reversed(octets)) + ".in-addr.arpa"


def ptr_name(address: str) -> str:
    return ipaddress.ip_address(address).reverse_pointer


def zone_of(name: str, zones: tuple[str, ...]) -> str | None:
    """The managed zone holding the name (the longest match), or None. The zone's apex
    itself is not a name hostflow manages."""
    name = normalise(name)
    inside = [z for z in zones if name.endswith("." + z)]
    return max(inside, key=len) if inside else None
