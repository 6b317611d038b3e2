"""Rebuild: the host's root disk is replaced by a new overlay on another image while
the old one waits aside (`disk.qcow2.pre-rebuild`) until the guest is up on the new
one; the boot part of the definition (`<os>`) follows the new image, the previous one
kept in `boot.pre-rebuild.json` until then. Each step has its inverse, so a failed
rebuild puts the host back on its old disk."""
from __future__ import annotations

import json
from pathlib import Path

from functions.node import Node
from functions.outcome import Outcome, Plan
from infra import domain_boot
from infra.domain_xml import domain_name
from infra.errors import ComputeError, StorageError

STOPPED = {"shutoff"}


def aside_disk(node: Node, host_id: str) -> Path:
    return node.root_disk(host_id).with_name("disk.qcow2.pre-rebuild")


def boot_stash(node: Node, host_id: str) -> Path:
    return node.instance_dir(host_id) / "boot.pre-rebuild.json"


def _require_stopped(node: Node, host_id: str, action: str) -> None:
    state = node.compute.state(domain_name(host_id))
    if state not in STOPPED:
        raise ComputeError(f"cannot {action} of host {host_id}: its domain is {state}", code="domain_not_stopped")


# --- the root disk ----------------------------------------------------------------

def decide_aside(disk: bool, aside: bool) -> Plan:
    if aside:
        return Plan("none")
    if not disk:
        return Plan("conflict", "the host has no root disk")
    return Plan("rename", "disk.qcow2 -> disk.qcow2.pre-rebuild")


def set_root_disk_aside(node: Node, req: dict) -> Outcome:
    """req: {"host_id"}. Already aside (a new disk may stand in its place by now): done."""
    disk, aside = node.root_disk(req["host_id"]), aside_disk(node, req["host_id"])
    plan = decide_aside(disk.exists(), aside.exists())
    if plan.noop:
        return Outcome.unchanged("aside")
    if plan.action == "conflict":
        raise StorageError(f"host {req['host_id']}: {plan.detail}", code="root_disk_absent")
    _require_stopped(node, req["host_id"], "set the root disk aside")
    disk.rename(aside)
    if disk.exists() or not aside.exists():
        raise StorageError(f"{disk} was not set aside", code="verify_failed")
    return Outcome(True, before="in place", after="aside", note=plan.detail)


def decide_restore(disk: bool, aside: bool) -> Plan:
    if not aside:
        return Plan("none")
    return Plan("restore", "the old disk replaces the new one" if disk else "rename back")


def restore_root_disk(node: Node, req: dict) -> Outcome:
    """req: {"host_id"}. The inverse of set_root_disk_aside: the old disk back in place."""
    disk, aside = node.root_disk(req["host_id"]), aside_disk(node, req["host_id"])
    plan = decide_restore(disk.exists(), aside.exists())
    if plan.noop:
        return Outcome.unchanged("in place")
    _require_stopped(node, req["host_id"], "restore the root disk")
    aside.replace(disk)
    return Outcome(True, before="aside", after="in place", note=plan.detail)


def discard_new_root_disk(node: Node, req: dict) -> Outcome:
    """req: {"host_id"}. The inverse of a rebuild's ensure_root_disk: deletes the root disk
    only while the old one is aside, so it can never delete the host's own disk."""
    disk, aside = node.root_disk(req["host_id"]), aside_disk(node, req["host_id"])
    if not (disk.exists() and aside.exists()):
        return Outcome.unchanged("absent" if aside.exists() else "no disk set aside")
    _require_stopped(node, req["host_id"], "discard the new root disk")
    disk.unlink()
    return Outcome(True, before="new disk", after="absent")


def delete_pre_rebuild_files(node: Node, req: dict) -> Outcome:
    """req: {"host_id"}. Once the guest is up on its new disk: the old disk and boot go."""
    present = [p for p in (aside_disk(node, req["host_id"]), boot_stash(node, req["host_id"])) if p.exists()]
    for path in present:
        path.unlink()
    if not present:
        return Outcome.unchanged("absent")
    return Outcome(True, before=[p.name for p in present], after="absent")


# --- the boot part of the definition ------------------------------------------------

def wanted_boot(node: Node, boot: dict) -> dict:
    """boot: {"kernel": image?, "ramdisk": image?, "cmdline"?} as flows pass it."""
    if not boot.get("kernel"):
        return {"kernel": None, "initrd": None, "cmdline": None}
    return {"kernel": str(node.cached_image(boot["kernel"])),
            "initrd": str(node.cached_image(boot["ramdisk"])) if boot.get("ramdisk") else None,
            "cmdline": boot.get("cmdline")}


def decide_boot(current: dict, wanted: dict) -> Plan:
    if current == wanted:
        return Plan("none")
    return Plan("edit", "direct kernel boot" if wanted["kernel"] else "boot from the disk")


def _definition(node: Node, host_id: str) -> str:
    xml = node.compute.xml(domain_name(host_id))
    if xml is None:
        raise ComputeError(f"host {host_id} has no domain", code="domain_absent")
    return xml


def _set_boot(node: Node, host_id: str, xml: str, boot: dict) -> None:
    node.compute.define(domain_boot.with_boot(xml, boot))
    if domain_boot.read_boot(_definition(node, host_id)) != boot:
        raise ComputeError(f"the definition of host {host_id} does not boot as requested", code="verify_failed")


def ensure_boot_config(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "boot"}. Edits only `<os>` of the persistent definition; the first
    edit keeps the previous boot for restore_boot_config."""
    host_id, wanted = req["host_id"], wanted_boot(node, req.get("boot") or {})
    xml = _definition(node, host_id)
    current = domain_boot.read_boot(xml)
    plan = decide_boot(current, wanted)
    if plan.noop:
        return Outcome.unchanged(current)
    stash = boot_stash(node, host_id)
    if not stash.exists():
        stash.write_text(json.dumps(current))
    _set_boot(node, host_id, xml, wanted)
    return Outcome(True, before=current, after=wanted, note=plan.detail)


def restore_boot_config(node: Node, req: dict) -> Outcome:
    """req: {"host_id"}. The inverse of ensure_boot_config."""
    host_id, stash = req["host_id"], boot_stash(node, req["host_id"])
    if not stash.exists():
        return Outcome.unchanged("as before")
    previous, xml = json.loads(stash.read_text()), _definition(node, host_id)
    current = domain_boot.read_boot(xml)
    if current != previous:
        _set_boot(node, host_id, xml, previous)
    stash.unlink()
    return Outcome(current != previous, before=current, after=previous)


# --- plans ------------------------------------------------------------------------

def plan_aside(node: Node, req: dict) -> Plan:
    return decide_aside(node.root_disk(req["host_id"]).exists(), aside_disk(node, req["host_id"]).exists())


def plan_restore(node: Node, req: dict) -> Plan:
    return decide_restore(node.root_disk(req["host_id"]).exists(), aside_disk(node, req["host_id"]).exists())


def plan_boot(node: Node, req: dict) -> Plan:
    xml = node.compute.xml(domain_name(req["host_id"]))
    if xml is None:
        return Plan("conflict", "no domain")
    return decide_boot(domain_boot.read_boot(xml), wanted_boot(node, req.get("boot") or {}))


def plan_cleanup(node: Node, req: dict) -> Plan:
    exists = aside_disk(node, req["host_id"]).exists() or boot_stash(node, req["host_id"]).exists()
    return Plan("delete", "old root disk") if exists else Plan("none")
