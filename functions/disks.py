"""Root disks (qcow2 overlays on the cached base) and NoCloud config drives."""
from __future__ import annotations

import shutil

from functions import cloud_init
from functions.node import FILE_MODE, Node
from functions.outcome import Outcome, Plan
from infra.errors import StorageError

GIB = 1 << 30


def decide_root_disk(current: dict | None, backing: str | None, size_bytes: int) -> Plan:
    """backing None: a blank disk (a host that boots from an ISO installs onto it)."""
    if current is None:
        what = f"qcow2 overlay on {backing}" if backing else "blank qcow2"
        return Plan("create", f"{what}, {size_bytes // GIB} GiB")
    if current.get("backing-filename") != backing:
        return Plan("conflict", f"disk exists on another base: {current.get('backing-filename')}")
    if current["virtual-size"] < size_bytes:
        return Plan("grow", f"{current['virtual-size']} -> {size_bytes} bytes")
    return Plan("none")


def _observe_disk(node: Node, host_id: str) -> dict | None:
    path = node.root_disk(host_id)
    return node.disk_images.info(path, "qcow2") if path.exists() else None


def _backing(node: Node, req: dict) -> str | None:
    return str(node.cached_image(req["base"]).resolve()) if req.get("base") else None


def ensure_root_disk(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "base": {image}?, "disk_gb"}: no base, a blank disk"""
    path = node.root_disk(req["host_id"])
    backing = _backing(node, req)
    size = req["disk_gb"] * GIB
    before = _observe_disk(node, req["host_id"])
    plan = decide_root_disk(before, backing, size)
    if plan.action == "conflict":
        raise StorageError(plan.detail, code="root_disk_conflict")
    if plan.noop:
        return Outcome.unchanged({"path": str(path), "virtual_size": before["virtual-size"]})
    node.make_dir(path.parent)
    if plan.action == "create":
        tmp = path.with_name("disk.tmp.qcow2")
        if backing:
            node.disk_images.create_overlay(tmp, node.cached_image(req["base"]), size)
        else:
            node.disk_images.create_blank(tmp, size)
        tmp.chmod(FILE_MODE)
        tmp.replace(path)
    else:
        node.disk_images.resize(path, "qcow2", size)
    after = node.disk_images.info(path, "qcow2")
    if after["virtual-size"] < size or after.get("backing-filename") != backing:
        raise StorageError(f"root disk {path} is not as requested after {plan.action}", code="verify_failed")
    return Outcome(True, before=before and before["virtual-size"], after=after["virtual-size"],
                   note=plan.action + " " + plan.detail, data={"path": str(path)})


def _delete_file(path) -> Outcome:
    if not path.exists():
        return Outcome.unchanged("absent")
    path.unlink()
    return Outcome(True, before="present", after="absent")


def decide_config_drive(current: dict | None, wanted: dict) -> Plan:
    if current == wanted:
        return Plan("none")
    return Plan("write", "create" if current is None else "rewrite (contents differ)")


def ensure_config_drive(node: Node, req: dict) -> Outcome:
    """req: as functions.cloud_init.contents takes it"""
    path = node.config_drive(req["host_id"])
    wanted = cloud_init.contents(req, node.share_driver)
    current = node.config_drives.read(path) if path.exists() else None
    plan = decide_config_drive(current, wanted)
    if plan.noop:
        return Outcome.unchanged("present", data={"path": str(path)})
    node.make_dir(path.parent)
    node.config_drives.write(path, wanted)
    if node.config_drives.read(path) != wanted:
        raise StorageError(f"config drive {path} does not read back as written", code="verify_failed")
    return Outcome(True, before=None if current is None else "stale", after="present", note=plan.detail,
                   data={"path": str(path)})


def delete_config_drive(node: Node, req: dict) -> Outcome:
    return _delete_file(node.config_drive(req["host_id"]))


def delete_instance_files(node: Node, req: dict) -> Outcome:
    """Removes the instance directory: disk, config drive, console log."""
    path = node.instance_dir(req["host_id"])
    if not path.exists():
        return Outcome.unchanged("absent")
    names = sorted(p.name for p in path.iterdir())
    shutil.rmtree(path)
    return Outcome(True, before=names, after="absent")


def plan_root_disk(node: Node, req: dict) -> Plan:
    return decide_root_disk(_observe_disk(node, req["host_id"]), _backing(node, req), req["disk_gb"] * GIB)


def plan_config_drive(node: Node, req: dict) -> Plan:
    path = node.config_drive(req["host_id"])
    current = node.config_drives.read(path) if path.exists() else None
    return decide_config_drive(current, cloud_init.contents(req, node.share_driver))


def plan_delete(node: Node, req: dict) -> Plan:
    path = node.instance_dir(req["host_id"])
    return Plan("delete", str(path)) if path.exists() else Plan("none")
