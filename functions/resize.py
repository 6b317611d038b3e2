"""Resizing a host on its node: vCPUs and memory (live where the definition has room,
else a clean stop, redefine and start), the root disk (grow only), and the guest's view."""
from __future__ import annotations

import time

from functions import compute, guest_agent, readiness
from functions.node import Node
from functions.outcome import Outcome, Plan
from functions.volumes import LIVE_STATES
from infra.domain_xml import domain_name
from infra.errors import ComputeError, GuestTimeout

GIB = 1 << 30


def decide_sizing(current: dict, vcpus: int, ram_mb: int, running: bool) -> Plan:
    """current: domain_xml.sizing of the definition. Live needs a running guest, room
    under the maximums and, to change memory, a balloon. Fewer vCPUs go cold: an unplug
    waits on the guest, and libvirt gives up after a few seconds under TCG."""
    if (current["vcpus"], current["ram_mb"]) == (vcpus, ram_mb):
        return Plan("none")
    detail = f"{current['vcpus']} vCPU/{current['ram_mb']} MiB -> {vcpus} vCPU/{ram_mb} MiB"
    memory_live = ram_mb == current["ram_mb"] or (current["balloon"] and ram_mb <= current["max_ram_mb"])
    if running and current["vcpus"] <= vcpus <= current["max_vcpus"] and memory_live:
        return Plan("live", detail)
    return Plan("cold", detail)


def resize_domain(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "vcpus", "ram_mb"}. Data: {"path": "live" | "cold" | None}. Its own
    inverse: called again with the old size (a revert)."""
    name = domain_name(req["host_id"])
    state = node.compute.state(name)
    if state == "absent":
        raise ComputeError(f"domain {name} is not defined", code="domain_absent")
    before = node.compute.sizing(name)
    plan = decide_sizing(before, req["vcpus"], req["ram_mb"], state in LIVE_STATES)
    if plan.noop:
        return Outcome.unchanged(_sized(before), path=None)
    if plan.action == "live":
        _live(node, name, before, req)
    else:
        _cold(node, req, state)
    after = node.compute.sizing(name)
    if (after["vcpus"], after["ram_mb"]) != (req["vcpus"], req["ram_mb"]):
        raise ComputeError(f"{name} is {_sized(after)} after the resize", code="verify_failed")
    return Outcome(True, before=_sized(before), after=_sized(after), note=f"{plan.action}: {plan.detail}",
                   data={"path": plan.action})


def _sized(sizing: dict) -> dict:
    return {"vcpus": sizing["vcpus"], "ram_mb": sizing["ram_mb"]}


def _live(node: Node, name: str, before: dict, req: dict) -> None:
    if req["vcpus"] != before["vcpus"]:
        node.compute.set_vcpus_live(name, req["vcpus"])
    if req["ram_mb"] != before["ram_mb"]:
        node.compute.set_memory_live(name, req["ram_mb"])


def _cold(node: Node, req: dict, state: str) -> None:
    host = {"host_id": req["host_id"]}
    compute.ensure_stopped(node, host)
    node.compute.redefine_sizing(domain_name(req["host_id"]), req["vcpus"],
                                 max(req["vcpus"], node.max_live_vcpus), req["ram_mb"])
    if state in LIVE_STATES:
        compute.ensure_running(node, host)


def grow_root_disk(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "disk_gb"}. Grow only (a smaller size is left as it is): blockResize
    on a running guest, qemu-img resize otherwise. No inverse: a grown disk stays grown."""
    path, size = node.root_disk(req["host_id"]), req["disk_gb"] * GIB
    before = node.disk_images.info(path, "qcow2")["virtual-size"]
    if before >= size:
        return Outcome.unchanged(before)
    name = domain_name(req["host_id"])
    if node.compute.state(name) in LIVE_STATES:
        node.compute.block_resize(name, "vda", size)
    else:
        node.disk_images.resize(path, "qcow2", size)
    after = node.disk_images.info(path, "qcow2")["virtual-size"]
    if after < size:
        raise ComputeError(f"root disk of {name} is {after} bytes after growing to {size}", code="verify_failed")
    return Outcome(True, before=before, after=after, data={"live": node.compute.state(name) in LIVE_STATES})


def guest_sized(state: dict | None, vcpus: int, ram_mb: int, disk_gb: int) -> bool:
    """The guest reports the vCPUs, about the memory (the kernel keeps some: MemTotal is
    60-100 % of it) and a root disk of at least the size."""
    if not state:
        return False
    root = next((b for b in state.get("blocks", []) if b.get("name") == "vda"), {})
    return (state.get("vcpus") == vcpus and 0.6 * ram_mb * 1024 <= state.get("mem_kb", 0) <= ram_mb * 1024
            and root.get("size_bytes", 0) >= disk_gb * GIB)


def wait_guest_sized(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "vcpus", "ram_mb", "disk_gb", "readiness"?, "timeout"?}. Data: the
    guest's view, read the way its image proves it is up (functions.readiness): its agent
    (functions.guest_agent.sizing), or the test guest's state line; with none, nothing is
    checked and the step says so."""
    how = readiness.in_guest(req.get("readiness", "serial"))
    if how == "none":
        return Outcome.unchanged("resized", note="not checked in the guest: its image declares no way to see in")
    wanted = (req["vcpus"], req["ram_mb"], req["disk_gb"])
    log = node.console_log(req["host_id"])
    if how == "agent":
        def read():
            return guest_agent.sizing(node, req["host_id"], req["vcpus"])
    else:
        def read():
            return node.consoles.latest(log)
    state = read()
    if guest_sized(state, *wanted):
        return Outcome.unchanged("sized", guest=state)
    deadline = time.monotonic() + req.get("timeout", node.boot_timeout)
    while time.monotonic() < deadline:
        time.sleep(0.1 if how == "serial" else 1.0)
        state = read()
        if guest_sized(state, *wanted):
            return Outcome(False, before="resizing", after="sized", note="guest reported the new size",
                           data={"guest": state})
    raise GuestTimeout(f"guest did not report {wanted[0]} vCPU, ~{wanted[1]} MiB and a {wanted[2]} GiB root disk "
                       f"in time; last state: {state!r}")


def plan_resize(node: Node, req: dict) -> Plan:
    name = domain_name(req["host_id"])
    return decide_sizing(node.compute.sizing(name), req["vcpus"], req["ram_mb"],
                         node.compute.state(name) in LIVE_STATES)


def plan_grow(node: Node, req: dict) -> Plan:
    current = node.disk_images.info(node.root_disk(req["host_id"]), "qcow2")["virtual-size"]
    return Plan("none") if current >= req["disk_gb"] * GIB else Plan("grow", f"{current} -> {req['disk_gb'] * GIB}")


def undo_resize_domain(node: Node, req: dict) -> Outcome:
    """The inverse of resize_domain: the sizing in req["old"]."""
    return resize_domain(node, {"host_id": req["host_id"], **req["old"]})
