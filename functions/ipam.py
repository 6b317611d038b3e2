"""Addresses for a host's NICs (control plane)."""
from __future__ import annotations

import ipaddress

from functions.node import Control
from functions.outcome import Outcome, Plan


def reserved(ctl: Control) -> set[str]:
    net = ipaddress.ip_network(ctl.vm_subnet)
    return {ctl.vm_gateway, str(net.network_address), str(net.broadcast_address)}


def allocate_ip(ctl: Control, req: dict) -> Outcome:
    """req: {"host_id"}; data.lease: {"address", "cidr", "mac", "network", "gateway"}"""
    existing = ctl.ipam.find(ctl.vm_network, req["host_id"])
    if existing:
        return Outcome.unchanged(existing.cidr, lease=_lease(ctl, existing))
    lease = ctl.ipam.allocate(ctl.vm_network, ctl.vm_subnet, reserved(ctl), req["host_id"])
    return Outcome(True, before=None, after=lease.cidr, data={"lease": _lease(ctl, lease)})


def release_ip(ctl: Control, req: dict) -> Outcome:
    released = ctl.ipam.release(ctl.vm_network, req["host_id"])
    if released is None:
        return Outcome.unchanged("released")
    return Outcome(True, before=released.cidr, after=None)


def _lease(ctl: Control, lease) -> dict:
    return {**lease.to_dict(), "gateway": ctl.vm_gateway}


def plan_allocate(ctl: Control, req: dict) -> Plan:
    existing = ctl.ipam.find(ctl.vm_network, req["host_id"])
    return Plan("none", existing.cidr) if existing else Plan("allocate", f"an address in {ctl.vm_subnet}")


def plan_release(ctl: Control, req: dict) -> Plan:
    existing = ctl.ipam.find(ctl.vm_network, req["host_id"])
    return Plan("release", existing.cidr) if existing else Plan("none")
