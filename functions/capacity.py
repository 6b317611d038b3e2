"""Claims of vCPU, RAM and disk on a hypervisor (control plane)."""
from __future__ import annotations

from functions.node import Control
from functions.outcome import Outcome, Plan


def decide_claim(existing, vcpus: int, ram_mb: int, disk_gb: int) -> Plan:
    if existing is None:
        return Plan("claim", f"{vcpus} vCPU, {ram_mb} MiB, {disk_gb} GiB")
    return Plan("none", f"claimed on {existing.hypervisor}")


def claim_capacity(ctl: Control, req: dict) -> Outcome:
    """req: {"host_id", "vcpus", "ram_mb", "disk_gb", "hypervisor"?}; data.hypervisor names the node
    (the requested one, or a no_capacity error)."""
    existing = ctl.capacity.find(req["host_id"])
    if decide_claim(existing, req["vcpus"], req["ram_mb"], req["disk_gb"]).noop:
        return Outcome.unchanged("claimed", hypervisor=existing.hypervisor)
    claim = ctl.capacity.claim(req["host_id"], req["vcpus"], req["ram_mb"], req["disk_gb"], req.get("hypervisor"))
    return Outcome(True, before=None, after=claim.to_dict(), data={"hypervisor": claim.hypervisor})


def resize_claim(ctl: Control, req: dict) -> Outcome:
    """req: {"host_id", "vcpus", "ram_mb", "disk_gb"}: the claim becomes this size (no_capacity if
    the node cannot hold it). Its own inverse: called again with the old size."""
    existing = ctl.capacity.find(req["host_id"])
    wanted = (req["vcpus"], req["ram_mb"], req["disk_gb"])
    if existing is not None and (existing.vcpus, existing.ram_mb, existing.disk_gb) == wanted:
        return Outcome.unchanged(existing.to_dict())
    claim = ctl.capacity.resize(req["host_id"], *wanted)
    return Outcome(True, before=existing and existing.to_dict(), after=claim.to_dict())


def undo_resize_claim(ctl: Control, req: dict) -> Outcome:
    """The inverse of resize_claim: the size in req["old"]."""
    return resize_claim(ctl, {"host_id": req["host_id"], **req["old"]})


def plan_resize_claim(ctl: Control, req: dict) -> Plan:
    existing = ctl.capacity.find(req["host_id"])
    if existing is None:
        return Plan("fail", "no claim (no_claim)")
    return Plan("resize", f"on {existing.hypervisor}: {req['vcpus']} vCPU, {req['ram_mb']} MiB, {req['disk_gb']} GiB")


def release_capacity(ctl: Control, req: dict) -> Outcome:
    released = ctl.capacity.release(req["host_id"])
    if released is None:
        return Outcome.unchanged("released")
    return Outcome(True, before=released.to_dict(), after=None)


def plan_claim(ctl: Control, req: dict) -> Plan:
    existing = ctl.capacity.find(req["host_id"])
    if existing:
        return decide_claim(existing, 0, 0, 0)
    nodes = ctl.capacity.candidates(req["vcpus"], req["ram_mb"], req["disk_gb"], req.get("hypervisor"))
    if not nodes:
        where = f"{req['hypervisor']} has no room" if req.get("hypervisor") else "no hypervisor has room"
        return Plan("fail", f"{where} (no_capacity)")
    return Plan("claim", f"on {nodes[0]}: {req['vcpus']} vCPU, {req['ram_mb']} MiB, {req['disk_gb']} GiB")


def plan_release(ctl: Control, req: dict) -> Plan:
    existing = ctl.capacity.find(req["host_id"])
    return Plan("release", f"on {existing.hypervisor}") if existing else Plan("none")
