"""Image cache on a hypervisor: each image fetched once, verified, inspected, then used.

Disk images other than qcow2 (raw, ami, vmdk, vdi, vhd, vhdx) are converted once to
qcow2, the format every overlay is built on; kernels, ramdisks and ISOs stay as they
are. A cache hit refreshes the entry's mtime: the cache cleaner counts an entry's
age from its last use (functions.image_cache)."""
from __future__ import annotations

import os
from pathlib import Path

from functions.node import CACHED_AS_QCOW2, FILE_MODE, Node
from functions.outcome import Outcome, Plan
from infra.errors import StorageError


def decide_cached(present: bool, disk_format: str) -> Plan:
    if present:
        return Plan("none")
    if disk_format in CACHED_AS_QCOW2:
        return Plan("fetch_convert", f"download, verify SHA-512, inspect, convert {disk_format} to qcow2")
    return Plan("fetch", "download, verify SHA-512, inspect")


def ensure_image_cached(node: Node, req: dict) -> Outcome:
    """req: {"images": [{"id", "sha512", "location", "disk_format"}, ...]}"""
    fetched = [image["id"] for image in req["images"] if _ensure_one(node, image)]
    paths = {img["id"]: str(node.cached_image(img)) for img in req["images"]}
    if not fetched:
        return Outcome.unchanged("cached", paths=paths)
    return Outcome(True, before="missing", after="cached", note=f"fetched {len(fetched)} image(s)",
                   data={"paths": paths})


def _ensure_one(node: Node, image: dict) -> bool:
    path = node.cached_image(image)
    plan = decide_cached(path.exists(), image["disk_format"])
    if plan.noop:
        os.utime(path)
        return False
    node.make_dir(path.parent)
    if plan.action == "fetch":
        node.images.fetch(image["location"], path, image["sha512"], image["disk_format"])
        return True
    source = path.with_name(path.name + ".src")
    try:
        inspection = node.images.fetch(image["location"], source, image["sha512"], image["disk_format"])
        _convert(node, source, inspection.qemu_format, path)
    finally:
        source.unlink(missing_ok=True)
    return True


def _convert(node: Node, source: Path, fmt: str, dest: Path) -> None:
    """Into a temporary name first: a crash never leaves a half-converted entry."""
    tmp = dest.with_name(dest.name + ".tmp")
    try:
        node.disk_images.convert_to_qcow2(source, fmt, tmp)
        if node.disk_images.info(tmp, "qcow2").get("backing-filename"):
            raise StorageError(f"{tmp} has a backing file after conversion", code="verify_failed")
        tmp.chmod(FILE_MODE)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)


def plan_image_cached(node: Node, req: dict) -> Plan:
    plans = {i["id"]: decide_cached(node.cached_image(i).exists(), i["disk_format"]) for i in req["images"]}
    missing = {k: p for k, p in plans.items() if not p.noop}
    if not missing:
        return Plan("none")
    converted = sum(p.action == "fetch_convert" for p in missing.values())
    return Plan("fetch", f"{len(missing)} image(s), {converted} converted to qcow2")
