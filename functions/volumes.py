"""Data volumes: raw files in the node's libvirt `dir` pool, hot-plugged into guests as virtio disks.

Inverses: ensure_volume <-> delete_volume, attach_volume <-> detach_volume.
The guest identifies a volume by its virtio-blk serial: the volume id, of which the guest
sees at most the first 20 bytes (virtio-blk's limit, as in Nova)."""
from __future__ import annotations

import time

from functions import guest_agent, readiness
from functions.node import Node
from functions.outcome import Outcome, Plan
from infra.domain_xml import domain_name
from infra.errors import ComputeError, GuestTimeout, StorageError
from infra.libvirt_storage import PoolSpec

GIB = 1 << 30
SERIAL_MAX = 20
LIVE_STATES = {"running", "paused", "shutting_down"}


def pool_name(node: Node) -> str:
    return f"hostflow-{node.name}"


def volume_name(volume_id: str) -> str:
    return f"vol-{volume_id}.raw"


def guest_serial(volume_id: str) -> str:
    """What the guest reads in /sys/block/vdX/serial: virtio-blk keeps at most 20 bytes."""
    return volume_id[:SERIAL_MAX]


def _storage(node: Node):
    return node.storage


def _volume(node: Node, volume_id: str) -> dict | None:
    return _storage(node).volume(pool_name(node), volume_name(volume_id))


def pool_spec(node: Node) -> PoolSpec:
    """The node's configured pool, by default a `dir` pool under its storage root."""
    return node.volume_pool or PoolSpec("dir", node.root / "volumes", gid=node.qemu_gid)


def _path(node: Node, volume_id: str) -> str:
    return str(pool_spec(node).path / volume_name(volume_id))


# --- create and delete ---------------------------------------------------------

def decide_volume(current: dict | None, size_bytes: int) -> Plan:
    if current is None:
        return Plan("create", f"sparse raw, {size_bytes // GIB} GiB")
    if current["capacity"] < size_bytes:
        return Plan("grow", f"{current['capacity']} -> {size_bytes} bytes")
    return Plan("none")


def ensure_volume(node: Node, req: dict) -> Outcome:
    """req: {"volume_id", "size_gb"}. Inverse: delete_volume."""
    storage, pool, name, size = _storage(node), pool_name(node), volume_name(req["volume_id"]), req["size_gb"] * GIB
    spec = pool_spec(node)
    if spec.kind == "dir":
        node.make_dir(spec.path)
    storage.ensure_pool(pool, spec)
    before = storage.volume(pool, name)
    plan = decide_volume(before, size)
    if plan.noop:
        return Outcome.unchanged(before["capacity"], path=before["path"])
    if plan.action == "create":
        storage.create_volume(pool, name, size)
    else:
        storage.resize_volume(pool, name, size)
    after = storage.volume(pool, name)
    if after is None or after["capacity"] < size:
        raise StorageError(f"volume {name} is not as requested after {plan.action}", code="verify_failed")
    return Outcome(True, before=before and before["capacity"], after=after["capacity"],
                   note=f"{plan.action} {plan.detail}", data={"path": after["path"]})


def delete_volume(node: Node, req: dict) -> Outcome:
    """req: {"volume_id"}. Already gone is success."""
    storage, pool, name = _storage(node), pool_name(node), volume_name(req["volume_id"])
    before = storage.volume(pool, name)
    if before is None:
        return Outcome.unchanged("absent")
    storage.ensure_pool(pool, pool_spec(node))  # an inactive pool cannot delete
    storage.delete_volume(pool, name)
    if storage.volume(pool, name) is not None:
        raise StorageError(f"volume {name} is still in pool {pool}", code="verify_failed")
    return Outcome(True, before=before["capacity"], after="absent", data={"path": before["path"]})


def delete_host_volumes(node: Node, req: dict) -> Outcome:
    """req: {"volume_ids"}: a reclaimed host's volumes, once its domain is undefined.
    Each one already gone is success. Data: {"deleted": the ids this call removed}."""
    deleted = [vid for vid in req["volume_ids"] if delete_volume(node, {"volume_id": vid}).changed]
    if not deleted:
        return Outcome.unchanged("absent", deleted=[])
    return Outcome(True, before=f"{len(deleted)} present", after="absent", note=f"deleted {len(deleted)}",
                   data={"deleted": deleted})


# --- attach and detach ---------------------------------------------------------

def disk_target(index: int) -> str:
    """libvirt's names: 0 -> vda, 25 -> vdz, 26 -> vdaa."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return "vd" + letters


def next_free_target(used: set[str], first: int = 2) -> str:
    """The first vdX from vdc on that no disk uses (vda is the root disk, vdb the config drive)."""
    index = first
    while disk_target(index) in used:
        index += 1
    return disk_target(index)


def decide_attach(persistent: list[dict], live: list[dict], path: str) -> Plan:
    if any(d["source"] == path for d in persistent):
        return Plan("none")
    if any(d["source"] == path for d in live):
        return Plan("conflict", "the disk is still in the running guest (a detach is in progress)")
    used = {d["target"] for d in persistent + live}
    return Plan("attach", next_free_target(used))


def attach_volume(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "volume_id"}. Inverse: detach_volume.

    The disk's <serial> is the volume id; the guest sees its first 20 bytes (virtio-blk)."""
    name, path = domain_name(req["host_id"]), _path(node, req["volume_id"])
    state = node.compute.state(name)
    if state == "absent":
        raise ComputeError(f"domain {name} is not defined", code="domain_absent")
    persistent, live = node.compute.disks(name), _live_disks(node, name, state)
    plan = decide_attach(persistent, live, path)
    if plan.action == "conflict":
        raise ComputeError(f"cannot attach {path} to {name}: {plan.detail}", code="detach_in_progress")
    if plan.noop:
        return Outcome.unchanged("attached", target=_target_of(persistent, path))
    if _volume(node, req["volume_id"]) is None:
        raise StorageError(f"volume {volume_name(req['volume_id'])} does not exist", code="volume_absent")
    console_offset = node.consoles.size(node.console_log(req["host_id"]))
    node.compute.attach_disk(name, path, plan.detail, req["volume_id"], live=state in LIVE_STATES)
    if _target_of(node.compute.disks(name), path) != plan.detail:
        raise ComputeError(f"{path} is not in {name}'s definition after attach", code="verify_failed")
    return Outcome(True, before="detached", after="attached", note=f"live={state in LIVE_STATES}",
                   data={"target": plan.detail, "console_offset": console_offset})


def decide_detach(persistent: list[dict], live: list[dict], path: str) -> Plan:
    config = any(d["source"] == path for d in persistent)
    in_live = any(d["source"] == path for d in live)
    if not (config or in_live):
        return Plan("none")
    return Plan("detach", "+".join(w for w, on in (("live", in_live), ("config", config)) if on))


def detach_volume(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "volume_id", "timeout"?}. Waits until the guest has released the disk
    (ACPI hot-unplug); a disk still in the live XML after the timeout is "detach_timeout"."""
    name, path = domain_name(req["host_id"]), _path(node, req["volume_id"])
    state = node.compute.state(name)
    if state == "absent":
        return Outcome.unchanged("absent", note="domain absent")
    plan = decide_detach(node.compute.disks(name), _live_disks(node, name, state), path)
    if plan.noop:
        return Outcome.unchanged("detached")
    node.compute.detach_disk(name, path, live="live" in plan.detail, config="config" in plan.detail)
    deadline = time.monotonic() + req.get("timeout", 20.0)
    while _target_of(_live_disks(node, name, node.compute.state(name)), path):
        if time.monotonic() >= deadline:
            raise ComputeError(f"the guest in {name} did not release {path} in time", code="detach_timeout")
        time.sleep(0.2)
    if _target_of(node.compute.disks(name), path):
        raise ComputeError(f"{path} is still in {name}'s definition", code="verify_failed")
    return Outcome(True, before="attached", after="detached", note=plan.detail)


def _live_disks(node: Node, name: str, state: str) -> list[dict]:
    return node.compute.disks(name, live=True) if state in LIVE_STATES else []


def _target_of(disks: list[dict], path: str) -> str | None:
    return next((d["target"] for d in disks if d["source"] == path), None)


# --- the guest's view -----------------------------------------------------------

def visible_block(state: dict | None, volume_id: str, min_size: int = 0) -> dict | None:
    """The guest's block device carrying the volume's serial (at least min_size bytes)."""
    serial = guest_serial(volume_id)
    return next((b for b in (state or {}).get("blocks", [])
                 if b.get("serial") == serial and b.get("size_bytes", 0) >= min_size), None)


GUEST_POLL = 1.0  # the guest checks its state each second and prints a line when it changed


def guest_view(node: Node, log, volume_id: str, min_size: int, offset: int, settled: bool) -> dict | None:
    """The volume's block device as the guest sees it now, or None.

    A line printed after `offset` (the console's size at attach) is the guest's view
    since the attach. Without one, the last line still is its view once a poll has
    passed since the attach (`settled`): the guest prints whenever its state changes."""
    since = node.consoles.latest(log, offset)
    if since is not None:
        return visible_block(since, volume_id, min_size)
    return visible_block(node.consoles.latest(log), volume_id, min_size) if settled else None


def wait_volume_visible(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "volume_id", "size_bytes"?, "console_offset"?, "readiness"?, "timeout"?}.
    Data: {"device": "vdc", "size_bytes": N}. With size_bytes, waits until the guest sees
    the disk at least that large (after an extend). The guest's view comes the way its
    image proves it is up (functions.readiness): its agent runs lsblk, or the test guest's
    state line, where console_offset keeps a line from before a quick detach and
    re-attach from being taken for the guest's view now; with none, nothing is checked."""
    how = readiness.in_guest(req.get("readiness", "serial"))
    if how == "none":
        return Outcome.unchanged("attached", note="not checked in the guest: its image declares no way to see in")
    if how == "agent":
        return _wait_agent_visible(node, req)
    log = node.console_log(req["host_id"])
    min_size, offset = req.get("size_bytes", 0), req.get("console_offset", 0)
    start = time.monotonic()
    deadline = start + req.get("timeout", 30.0)
    first = True
    while True:
        settled = time.monotonic() - start >= 2.5 * GUEST_POLL
        block = guest_view(node, log, req["volume_id"], min_size, offset, settled or not offset)
        if block:
            data = {"device": block["name"], "size_bytes": block["size_bytes"]}
            if first:
                return Outcome.unchanged("visible", **data)
            return Outcome(False, before="invisible", after="visible", note="guest listed the disk", data=data)
        if time.monotonic() >= deadline:
            raise GuestTimeout(f"guest did not list a disk with serial {guest_serial(req['volume_id'])!r} in "
                               f"time; console tail: {node.consoles.tail(log, 3)!r}")
        first = False
        time.sleep(0.1)


def _wait_agent_visible(node: Node, req: dict) -> Outcome:
    deadline = time.monotonic() + req.get("timeout", 30.0)
    while True:
        seen = guest_agent.blocks(node, req["host_id"])
        block = visible_block(seen, req["volume_id"], req.get("size_bytes", 0))
        if block:
            return Outcome(False, before="attached", after="visible", note="the guest agent listed the disk",
                           data={"device": block["name"], "size_bytes": block["size_bytes"]})
        if time.monotonic() >= deadline:
            raise GuestTimeout(f"the guest's agent did not list a disk with serial "
                               f"{guest_serial(req['volume_id'])!r} in time")
        time.sleep(0.5)


# --- plans ----------------------------------------------------------------------

def plan_volume(node: Node, req: dict) -> Plan:
    return decide_volume(_volume(node, req["volume_id"]), req["size_gb"] * GIB)


def plan_delete_volume(node: Node, req: dict) -> Plan:
    return Plan("none") if _volume(node, req["volume_id"]) is None else Plan("delete", volume_name(req["volume_id"]))


def plan_delete_host_volumes(node: Node, req: dict) -> Plan:
    present = [volume_name(v) for v in req["volume_ids"] if _volume(node, v) is not None]
    return Plan("delete", ", ".join(present)) if present else Plan("none")


def _disks_now(node: Node, host_id: str) -> tuple[list[dict], list[dict]]:
    name = domain_name(host_id)
    return node.compute.disks(name), _live_disks(node, name, node.compute.state(name))


def plan_attach(node: Node, req: dict) -> Plan:
    return decide_attach(*_disks_now(node, req["host_id"]), _path(node, req["volume_id"]))


def plan_detach(node: Node, req: dict) -> Plan:
    return decide_detach(*_disks_now(node, req["host_id"]), _path(node, req["volume_id"]))


def plan_visible(_node: Node, req: dict) -> Plan:
    return Plan("wait", f"guest lists serial {guest_serial(req['volume_id'])}")
