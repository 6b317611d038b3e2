"""Addresses for a host's NICs, one per network (control plane)."""
from __future__ import annotations

import ipaddress

from functions.node import Control
from functions.outcome import Outcome, Plan
from infra.errors import HostflowError, NoAddress

MAX_RESERVED = 1 << 16


class NoNetwork(HostflowError):
    code, status = "no_network", 409


def parse_range(text: str, subnet) -> tuple[int, int]:
    """"a-b", "a" or a CIDR inside the subnet, as (first, last) integers."""
    if "/" in text:
        net = ipaddress.ip_network(text, strict=False)
        first, last = net.network_address, net.broadcast_address
    else:
        lo, _, hi = text.partition("-")
        first, last = ipaddress.ip_address(lo.strip()), ipaddress.ip_address((hi or lo).strip())
    if first not in subnet or last not in subnet or first > last:
        raise ValueError(f"reserved range {text!r} is not an ascending range inside {subnet}")
    return int(first), int(last)


def reserved(subnet: str, gateway: str | None, ranges: list[str] = ()) -> set[str]:
    net = ipaddress.ip_network(subnet)
    out = {str(net.network_address), str(net.broadcast_address)} | ({gateway} if gateway else set())
    for text in ranges:
        first, last = parse_range(text, net)
        out |= {str(ipaddress.ip_address(i)) for i in range(first, min(last, first + MAX_RESERVED) + 1)}
    return out


def _networks(ctl: Control, req: dict) -> list[dict]:
    """The request's networks; a request without them (older operations) means the default."""
    if req.get("missing"):
        raise NoNetwork(f"no network for traffic class {', '.join(req['missing'])} in this environment")
    return req.get("networks") or [{"name": ctl.vm_network, "subnet": ctl.vm_subnet, "gateway": ctl.vm_gateway}]


def allocate_ip(ctl: Control, req: dict) -> Outcome:
    """req: {"host_id", "networks"?: [{"name", "subnet", "gateway", "reserved"?}], "missing"?: [class]};
    data.leases: per network {"address", "cidr", "mac", "network", "gateway"}; data.lease: the first.
    All or nothing: if one network has no free address, those this call allocated are released."""
    host_id, leases, fresh = req["host_id"], [], []
    try:
        for net in _networks(ctl, req):
            lease = ctl.ipam.find(net["name"], host_id)
            if lease is None:
                lease = ctl.ipam.allocate(net["name"], net["subnet"],
                                          reserved(net["subnet"], net.get("gateway"), net.get("reserved") or []),
                                          host_id)
                fresh.append(lease)
            leases.append({**lease.to_dict(), "gateway": net.get("gateway")})
    except NoAddress:
        for lease in fresh:
            ctl.ipam.release(lease.network, host_id)
        raise
    cidrs = [lease["cidr"] for lease in leases]
    if not fresh:
        return Outcome.unchanged(cidrs, lease=leases[0], leases=leases)
    kept = [cidr for cidr in cidrs if cidr not in {lease.cidr for lease in fresh}]
    return Outcome(True, before=kept or None, after=cidrs,
                   data={"lease": leases[0], "leases": leases})


def release_ip(ctl: Control, req: dict) -> Outcome:
    """Releases every address of the host, on every network."""
    released = ctl.ipam.release_host(req["host_id"])
    if not released:
        return Outcome.unchanged("released")
    return Outcome(True, before=[lease.cidr for lease in released], after=None)


def plan_allocate(ctl: Control, req: dict) -> Plan:
    nets = _networks(ctl, req)
    todo = [n["subnet"] for n in nets if ctl.ipam.find(n["name"], req["host_id"]) is None]
    return Plan("allocate", "an address in " + ", ".join(todo)) if todo else Plan("none")


def plan_release(ctl: Control, req: dict) -> Plan:
    held = ctl.ipam.held_by(req["host_id"])
    return Plan("release", ", ".join(lease.cidr for lease in held)) if held else Plan("none")
