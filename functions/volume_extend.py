"""Growing a volume: live through the guest's block device when it is attached to
a running domain (the guest sees the new size), else in the storage pool."""
from __future__ import annotations

from functions.node import Node
from functions.outcome import Outcome, Plan
from functions.volumes import GIB, pool_name, volume_name
from infra.domain_xml import domain_name
from infra.errors import StorageError


def decide_extend(capacity: int | None, size_bytes: int, live_target: str | None) -> Plan:
    if capacity is None:
        return Plan("conflict", "the volume does not exist")
    if capacity >= size_bytes:
        return Plan("none", f"already {capacity} bytes")
    if live_target:
        return Plan("block_resize", f"{live_target} in the running guest to {size_bytes} bytes")
    return Plan("resize", f"pool volume to {size_bytes} bytes")


def _live_target(node: Node, host_id: str | None, path: str) -> str | None:
    if not host_id:
        return None
    name = domain_name(host_id)
    if node.compute.state(name) != "running":
        return None
    return next((d["target"] for d in node.compute.disks(name, live=True) if d["source"] == path), None)


def _observe(node: Node, req: dict) -> tuple[dict | None, str | None]:
    volume = node.storage.volume(pool_name(node), volume_name(req["volume_id"]))
    target = _live_target(node, req.get("host_id"), volume["path"]) if volume else None
    return volume, target


def extend_volume(node: Node, req: dict) -> Outcome:
    """req: {"volume_id", "size_gb", "host_id"?}. Grow only; a no-op when already that large."""
    size = req["size_gb"] * GIB
    before, target = _observe(node, req)
    plan = decide_extend(before and before["capacity"], size, target)
    if plan.action == "conflict":
        raise StorageError(plan.detail, code="volume_absent")
    if plan.noop:
        return Outcome.unchanged(before["capacity"])
    if plan.action == "block_resize":
        node.compute.block_resize(domain_name(req["host_id"]), target, size)
    else:
        node.storage.resize_volume(pool_name(node), volume_name(req["volume_id"]), size)
    after = node.storage.volume(pool_name(node), volume_name(req["volume_id"]))
    if after["capacity"] < size:
        raise StorageError(f"volume is {after['capacity']} bytes after {plan.action}", code="verify_failed")
    return Outcome(True, before=before["capacity"], after=after["capacity"], note=plan.action)


def plan_extend(node: Node, req: dict) -> Plan:
    before, target = _observe(node, req)
    return decide_extend(before and before["capacity"], req["size_gb"] * GIB, target)
