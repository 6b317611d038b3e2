"""A host's shares: the mount entries on its config drive, the filesystem devices in its
domain (9p cannot be hot-plugged: a clean stop, redefine, start), the guest having them
mounted, and the NFS export rules for its share address.

Requests carry the host's whole set of shares ("shares") and, for the inverse, the set
before the operation ("before"); see functions.share_config for a share's fields."""
from __future__ import annotations

import time

from functions import cloud_init, compute, share_config
from functions.node import Control, Node
from functions.outcome import Outcome, Plan
from infra.domain_xml import domain_name
from infra.errors import ComputeError, GuestTimeout, StorageError

SHARE_FSTYPES = {"9p", "virtiofs", "nfs", "nfs4"}


def _previous(req: dict) -> dict:
    return {**req, "shares": req.get("before", [])}


# --- the config drive ------------------------------------------------------------

def _drive_with_mounts(node: Node, req: dict) -> tuple[dict, dict]:
    path = node.config_drive(req["host_id"])
    if not path.exists():
        raise StorageError(f"host {req['host_id']} has no config drive at {path}", code="config_drive_absent")
    current = node.config_drives.read(path)
    entries = share_config.mounts(req["shares"], node.share_driver, req.get("nfs_server", ""))
    return current, {**current, "vendor-data": cloud_init.with_mounts(current["vendor-data"], entries)}


def ensure_share_mounts(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "shares", "nfs_server"?}: the drive's vendor-data `mounts` become these."""
    current, wanted = _drive_with_mounts(node, req)
    if current == wanted:
        return Outcome.unchanged("mounts as wanted")
    path = node.config_drive(req["host_id"])
    node.config_drives.write(path, wanted)
    if node.config_drives.read(path) != wanted:
        raise StorageError(f"config drive {path} does not read back as written", code="verify_failed")
    return Outcome(True, before=current["vendor-data"].decode(), after=wanted["vendor-data"].decode())


def revert_share_mounts(node: Node, req: dict) -> Outcome:
    return ensure_share_mounts(node, _previous(req))


def plan_share_mounts(node: Node, req: dict) -> Plan:
    current, wanted = _drive_with_mounts(node, req)
    return Plan("none") if current == wanted else Plan("write", "config drive mounts")


# --- the domain's devices -----------------------------------------------------------

def guest_share_mounts(state: dict | None) -> list[str]:
    """Mount points of the shares the guest reports mounted."""
    mounts = (state or {}).get("mounts", [])
    return sorted(m["target"] for m in mounts if m.get("fstype") in SHARE_FSTYPES)


def decide_devices(domain_state: str, current: list[dict], wanted: list[dict], mounted: list[str],
                   targets: list[str]) -> Plan:
    if domain_state == "absent":
        return Plan("conflict", "the host has no domain")
    redefine = current != wanted
    if domain_state != "running":
        return Plan("redefine", "stopped: mounted at its next boot") if redefine else Plan("none")
    if not redefine and mounted == targets:
        return Plan("none")
    return Plan("restart", "stop, redefine, start" if redefine else "restart to mount")


def _observe(node: Node, req: dict) -> tuple[str, list[dict], list[dict], list[str], list[str]]:
    name = domain_name(req["host_id"])
    state = node.compute.state(name)
    current = node.compute.filesystems(name) if state != "absent" else []
    wanted = share_config.filesystems(req["shares"], node.share_driver)
    mounted = guest_share_mounts(node.consoles.latest(node.console_log(req["host_id"])))
    return state, current, wanted, mounted, share_config.mount_targets(req["shares"])


def apply_share_devices(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "shares"}. A running guest restarts (cleanly) to get the new
    definition and reread its config drive; a stopped one is only redefined."""
    state, current, wanted, mounted, targets = _observe(node, req)
    plan = decide_devices(state, current, wanted, mounted, targets)
    if plan.action == "conflict":
        raise ComputeError(f"host {req['host_id']}: {plan.detail}", code="domain_absent")
    if plan.noop:
        return Outcome.unchanged({"filesystems": current, "mounted": mounted})
    name = domain_name(req["host_id"])
    if plan.action == "restart":
        compute.ensure_stopped(node, {"host_id": req["host_id"]})
    if current != wanted:
        node.compute.set_filesystems(name, wanted)
    if node.compute.filesystems(name) != wanted:
        raise ComputeError(f"{name} did not take its shared directories", code="verify_failed")
    if plan.action == "restart":
        compute.ensure_running(node, {"host_id": req["host_id"]})
    return Outcome(True, before={"filesystems": current, "mounted": mounted}, after={"filesystems": wanted},
                   note=plan.detail)


def revert_share_devices(node: Node, req: dict) -> Outcome:
    """The drive's mounts go back first, so the guest restarts onto the old set whole
    (the inverse of ensure_share_mounts, which runs after this, then has nothing to do)."""
    ensure_share_mounts(node, _previous(req))
    return apply_share_devices(node, _previous(req))


def plan_share_devices(node: Node, req: dict) -> Plan:
    return decide_devices(*_observe(node, req))


def wait_guest_mounts(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "shares", "timeout"?}: until the guest reports exactly the shares'
    mount points mounted. A stopped domain mounts them when it boots: nothing to wait for."""
    name, log = domain_name(req["host_id"]), node.console_log(req["host_id"])
    if node.compute.state(name) != "running":
        return Outcome.unchanged("not running")
    targets = share_config.mount_targets(req["shares"])
    deadline = time.monotonic() + req.get("timeout", node.boot_timeout)
    while time.monotonic() < deadline:
        state = node.consoles.latest(log)
        if state and guest_share_mounts(state) == targets:
            return Outcome(False, after=targets, note="the guest reports the shares mounted",
                           data={"shares": state.get("shares", [])})
        time.sleep(0.1)
    raise GuestTimeout(f"the guest of {req['host_id']} did not report {targets} mounted in time; "
                       f"console tail: {node.consoles.tail(log, 5)!r}")


# --- NFS export rules (control) -----------------------------------------------------

def decide_exports(current: str | None, rules: str) -> Plan:
    if (current or "") == rules:
        return Plan("none")
    return Plan("remove") if not rules else Plan("write", "create" if current is None else "rewrite")


def ensure_share_exports(control: Control, req: dict) -> Outcome:
    """req: {"host_id", "address", "shares"}: the host's export file grants its share
    address exactly its NFS shares (no NFS share: no file); the server reloads on a change."""
    rules = share_config.export_rules(req["shares"], req.get("address") or "")
    if rules and not req.get("address"):
        raise StorageError(f"host {req['host_id']} has no address to export NFS shares to", code="no_share_address")
    current = control.exports.read(req["host_id"])
    plan = decide_exports(current, rules)
    if plan.noop:
        return Outcome.unchanged(current or "none")
    if plan.action == "remove":
        control.exports.remove(req["host_id"])
    else:
        control.exports.write(req["host_id"], rules)
    reloaded = control.exports.reload()
    if (control.exports.read(req["host_id"]) or "") != rules:
        raise StorageError(f"export rules of {req['host_id']} are not as written", code="verify_failed")
    return Outcome(True, before=current, after=rules or None, note=f"{plan.action}; reload: {reloaded or 'none'}",
                   data={"path": str(control.exports.path(req["host_id"]))})


def revert_share_exports(control: Control, req: dict) -> Outcome:
    return ensure_share_exports(control, _previous(req))


def remove_share_exports(control: Control, req: dict) -> Outcome:
    """req: {"host_id"} (reclaim): its export file goes."""
    return ensure_share_exports(control, {"host_id": req["host_id"], "shares": []})


def plan_share_exports(control: Control, req: dict) -> Plan:
    rules = share_config.export_rules(req.get("shares", []), req.get("address") or "")
    return decide_exports(control.exports.read(req["host_id"]), rules)
