"""Root disks (qcow2 overlays on the cached base) and NoCloud config drives."""
from __future__ import annotations

import shutil

from functions import share_config
from functions.node import FILE_MODE, Node
from functions.outcome import Outcome, Plan
from infra.errors import StorageError

GIB = 1 << 30


def decide_root_disk(current: dict | None, backing: str, size_bytes: int) -> Plan:
    if current is None:
        return Plan("create", f"qcow2 overlay on {backing}, {size_bytes // GIB} GiB")
    if current.get("backing-filename") != backing:
        return Plan("conflict", f"disk exists on another base: {current.get('backing-filename')}")
    if current["virtual-size"] < size_bytes:
        return Plan("grow", f"{current['virtual-size']} -> {size_bytes} bytes")
    return Plan("none")


def _observe_disk(node: Node, host_id: str) -> dict | None:
    path = node.root_disk(host_id)
    return node.disk_images.info(path, "qcow2") if path.exists() else None


def ensure_root_disk(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "base": {image}, "disk_gb"}"""
    path = node.root_disk(req["host_id"])
    backing = str(node.cached_image(req["base"]).resolve())
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
        node.disk_images.create_overlay(tmp, node.cached_image(req["base"]), size)
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


def nocloud_contents(req: dict, share_driver: str = "9p") -> dict[str, str]:
    meta = f"instance-id: {req['host_id']}\nlocal-hostname: {req['hostname']}\n"
    lines = ["version: 2", "ethernets:"]
    for i, nic in enumerate(req["nics"]):
        lines += [f"  nic{i}:", "    match:", f'      macaddress: "{nic["mac"]}"', f"    set-name: eth{i}",
                  "    addresses:", f"      - {nic['cidr']}"]
        if nic.get("gateway"):
            lines.append(f"    gateway4: {nic['gateway']}")
        if nic.get("mtu"):
            lines.append(f"    mtu: {nic['mtu']}")
    keys = "".join(f"  - {k}\n" for k in req.get("ssh_keys", []))
    user = "#cloud-config\n" + (f"ssh_authorized_keys:\n{keys}" if keys else "")
    if req.get("shares"):
        entries = share_config.mounts(req["shares"], share_driver, req.get("nfs_server", ""))
        user = share_config.with_mounts(user, entries)
    return {"meta-data": meta, "network-config": "\n".join(lines) + "\n", "user-data": user}


def decide_config_drive(current: dict | None, wanted: dict) -> Plan:
    if current == wanted:
        return Plan("none")
    return Plan("write", "create" if current is None else "rewrite (contents differ)")


def ensure_config_drive(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "hostname", "nics": [{"mac", "cidr", "gateway"?, "mtu"?}], "ssh_keys"}"""
    path = node.config_drive(req["host_id"])
    wanted = nocloud_contents(req, node.share_driver)
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
    return decide_root_disk(_observe_disk(node, req["host_id"]),
                            str(node.cached_image(req["base"]).resolve()), req["disk_gb"] * GIB)


def plan_config_drive(node: Node, req: dict) -> Plan:
    path = node.config_drive(req["host_id"])
    current = node.config_drives.read(path) if path.exists() else None
    return decide_config_drive(current, nocloud_contents(req, node.share_driver))


def plan_delete(node: Node, req: dict) -> Plan:
    path = node.instance_dir(req["host_id"])
    return Plan("delete", str(path)) if path.exists() else Plan("none")
