"""What a guest with the QEMU guest agent shows of itself, in the shape the test guest's
state line has (`blocks`, `vcpus`, `mem_kb`), so the same checks read either."""
from __future__ import annotations

import json

from functions.node import Node
from infra.domain_xml import domain_name

LSBLK = ["lsblk", "--json", "--bytes", "--nodeps", "--output", "NAME,SERIAL,SIZE"]


def blocks(node: Node, host_id: str) -> dict | None:
    """The guest's block devices as `lsblk` lists them; None while no agent answers."""
    done = node.compute.guest_exec(domain_name(host_id), LSBLK)
    if done is None or done["exitcode"] != 0:
        return None
    devices = json.loads(done["out"] or "{}").get("blockdevices", [])
    return {"blocks": [{"name": d["name"], "serial": d.get("serial"), "size_bytes": int(d.get("size") or 0)}
                       for d in devices]}


def sizing(node: Node, host_id: str, want_vcpus: int) -> dict | None:
    """vCPUs online, MemTotal and the block devices; None while no agent answers.

    A hot-plugged vCPU stays offline in a guest without a rule to online it (Debian has
    none), so vCPUs present but offline are brought online here, up to `want_vcpus`,
    through the agent (`guest-set-vcpus`), as the test guest does for itself."""
    name = domain_name(host_id)
    cpus = node.compute.agent(name, "guest-get-vcpus")
    if cpus is None:
        return None
    online = [c for c in cpus if c.get("online")]
    offline = [c for c in cpus if not c.get("online")][:max(0, want_vcpus - len(online))]
    if offline:
        node.compute.agent(name, "guest-set-vcpus", {"vcpus": [{"logical-id": c["logical-id"], "online": True}
                                                                for c in offline]})
        cpus = node.compute.agent(name, "guest-get-vcpus") or cpus
    meminfo = node.compute.guest_exec(name, ["cat", "/proc/meminfo"])
    disks = blocks(node, host_id)
    if meminfo is None or disks is None:
        return None
    mem_kb = next((int(line.split()[1]) for line in meminfo["out"].splitlines() if line.startswith("MemTotal:")), 0)
    return {"vcpus": sum(1 for c in cpus if c.get("online")), "mem_kb": mem_kb, **disks}


def reports(hostname: str | None, interfaces: list[dict] | None, want_hostname: str, addresses: list[str]) -> bool:
    """The agent's host name (short, or the fqdn's first label) and its interfaces'
    `ip/prefix` cover what the host was given."""
    if not hostname or hostname.split(".")[0] != want_hostname or interfaces is None:
        return False
    have = {f"{a.get('ip-address')}/{a.get('prefix')}" for nic in interfaces for a in nic.get("ip-addresses") or []}
    return set(addresses) <= have


def as_state(hostname: str, interfaces: list[dict]) -> dict:
    """The guest as the agent reports it, in the shape the serial line gives."""
    return {"hostname": hostname.split(".")[0], "readiness": "agent",
            "addresses": [{"ifname": nic.get("name"), "cidr": f"{a['ip-address']}/{a['prefix']}"}
                          for nic in interfaces for a in nic.get("ip-addresses") or []
                          if a.get("ip-address-type") == "ipv4"]}
