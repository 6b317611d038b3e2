"""Capacity claims and address leases against the hosts that should hold them."""
from __future__ import annotations

from operations.drift.findings import Finding, Record, Repair
from operations.services import Services


def claims(svc: Services, rec: Record) -> list[Finding]:
    capacity = svc.planner.control.capacity
    held = capacity.claims()
    found = [_leaked_claim(c, rec) for c in held if rec.gone(c.host_id)]
    claimed = {c.host_id for c in held}
    found += [Finding("host_without_claim", f"host {h['id']} on {h['hypervisor']}",
                      f"host {h['name']} is active on {h['hypervisor']} and holds no capacity claim",
                      "claim its flavor on its node again, or reclaim the host", host_id=h["id"])
              for h in rec.settled() if h["state"] == "active" and h["id"] not in claimed]
    found += [_sums_differ(t) for t in capacity.totals() if t["counted"] != t["summed"]]
    return found


def _leaked_claim(claim, rec: Record) -> Finding:
    return Finding("leaked_claim", f"claim of host {claim.host_id} on {claim.hypervisor}",
                   f"{claim.vcpus} vCPU, {claim.ram_mb} MiB RAM, {claim.disk_gb} GiB disk claimed; "
                   f"{rec.describe(claim.host_id)}",
                   "release the claim", Repair("release_capacity", {"host_id": claim.host_id}), claim.host_id)


def _sums_differ(total: dict) -> Finding:
    return Finding("claim_totals_differ", f"claimed capacity of {total['node']}",
                   f"the node counts {total['counted']} claimed; its claims add up to {total['summed']}",
                   "recount the node's claimed capacity from its claims")


def leases(svc: Services, rec: Record) -> list[Finding]:
    held = svc.planner.control.ipam.leases()
    by_host: dict[str, list] = {}
    for lease in held:
        by_host.setdefault(lease.host_id, []).append(lease)
    found = [_leaked_leases(host_id, got, rec) for host_id, got in by_host.items() if rec.gone(host_id)]
    leased = {(lease.network, lease.address) for lease in held}
    found += [Finding("address_without_lease", f"address {a['address']} of host {h['id']}",
                      f"host {h['name']} lists {a['address']} on {a['network']}, which no lease holds",
                      "allocate it again for the host, or reclaim the host", host_id=h["id"])
              for h in rec.settled() for a in h["addresses"] or []
              if a.get("address") and (a.get("network"), a["address"]) not in leased]
    return found


def _leaked_leases(host_id: str, got: list, rec: Record) -> Finding:
    return Finding("leaked_lease", f"addresses of host {host_id}",
                   f"{', '.join(f'{lease.cidr} on {lease.network}' for lease in got)} leased; {rec.describe(host_id)}",
                   "release the leases", Repair("release_ip", {"host_id": host_id}), host_id)
