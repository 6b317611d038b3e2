"""Cleaning a hypervisor's image cache: unused entries older than an age are removed.

In use, and never removed whatever its age: any file in the backing chain of an
instance's root disk or of a disk of a defined domain (persistent or live definition),
and any file a domain names (its kernel, initrd). If usage cannot be established
(qemu-img or libvirt fails), nothing is removed.

qemu-img opens only disks the node made itself (`_inspectable`): the cache's qcow2
entries and the instances' root disks (`disk.qcow2`, and `disk.qcow2.pre-rebuild` while
a rebuild holds it aside). Whatever else lies under the root or a domain names (a
console log the guest writes, a volume, a config drive, a download leftover) is never
parsed, whatever its first bytes.

Age counts from the entry's mtime, which ensure_image_cached refreshes on every
cache hit, so it is the time since the entry was last asked for. atime is not used:
relatime and noatime mounts make it unreliable. Leftover temporary files (`.part`,
`.src`, `.tmp` of a crashed download) are entries like any other."""
from __future__ import annotations

import logging
import os
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from functions.node import Node
from functions.outcome import Outcome, Plan
from functions.rebuild import aside_disk

log = logging.getLogger("hostflow.image_cache")
QCOW2_MAGIC = b"QFI\xfb"
MAX_CHAIN = 16
# a qcow2 entry as the cache names it (functions.node.Node.cached_image): <image id>-<sha512[:16]>.qcow2
CACHED_QCOW2 = re.compile(r".+-[0-9A-Fa-f]{16}\.qcow2")


@dataclass(frozen=True)
class CacheEntry:
    path: str  # real path
    size: int  # bytes allocated on disk
    mtime: float


def decide_clean(entries: list[CacheEntry], in_use: set[str], now: float, max_age: float) -> list[CacheEntry]:
    return [e for e in entries if e.path not in in_use and now - e.mtime > max_age]


def files_in_domain(xml: str) -> set[str]:
    """Every file a domain definition names: disk sources, backing stores, mirrors,
    the kernel and initrd of a direct kernel boot."""
    root = ET.fromstring(xml)
    files = {el.get("file") for el in root.iter() if el.get("file")}
    files |= {el.text.strip() for tag in ("kernel", "initrd") for el in root.iterfind(f"os/{tag}") if el.text}
    return files


def clean_image_cache(node: Node, req: dict) -> Outcome:
    """req: {"max_age_s"}"""
    entries = cache_entries(node)
    doomed = decide_clean(entries, files_in_use(node), time.time(), req["max_age_s"])
    held = _summary(entries)
    if not doomed:
        return Outcome.unchanged(held, note="nothing to free", freed=[], freed_bytes=0)
    freed = [e for e in doomed if _unlink_if_still_old(e, req["max_age_s"])]
    names, size = [Path(e.path).name for e in freed], sum(e.size for e in freed)
    log.info("image cache of %s: freed %d bytes in %d file(s): %s", node.name, size, len(freed), ", ".join(names))
    return Outcome(bool(freed), before=held, after=_summary(cache_entries(node)),
                   note=f"freed {size} bytes in {len(freed)} file(s)", data={"freed": names, "freed_bytes": size})


def plan_clean_image_cache(node: Node, req: dict) -> Plan:
    doomed = decide_clean(cache_entries(node), files_in_use(node), time.time(), req["max_age_s"])
    if not doomed:
        return Plan("none")
    names = ", ".join(Path(e.path).name for e in doomed)
    return Plan("delete", f"{len(doomed)} file(s), {sum(e.size for e in doomed)} bytes: {names}")


def cache_entries(node: Node) -> list[CacheEntry]:
    directory = node.root / "images"
    if not directory.is_dir():
        return []
    entries = []
    for path in sorted(directory.iterdir()):
        if path.is_file() and not path.is_symlink():
            st = path.stat()
            entries.append(CacheEntry(os.path.realpath(path), st.st_blocks * 512, st.st_mtime))
    return entries


def files_in_use(node: Node) -> set[str]:
    named = set()
    for name in node.compute.domains_marked(node.stack):
        for inactive in (True, False):
            xml = node.compute.xml(name, inactive=inactive)
            named |= files_in_domain(xml) if xml else set()
    for disk in {*_root_disks(node), *(Path(f) for f in named)}:
        named |= _backing_chain(node, disk)
    return {os.path.realpath(f) for f in named}


def _root_disks(node: Node) -> list[Path]:
    """Where the instances' root disks are, whether they exist or not."""
    instances = node.root / "instances"
    if not instances.is_dir():
        return []
    hosts = [d.name for d in sorted(instances.iterdir()) if d.is_dir() and not d.is_symlink()]
    return [disk for host in hosts for disk in (node.root_disk(host), aside_disk(node, host))]


def _backing_chain(node: Node, path: Path) -> set[str]:
    """The files under `path`, as far as the chain runs through the node's own disks: a
    backing file that is not one (never the case for a disk hostflow made) is in use,
    but not opened."""
    chain: set[str] = set()
    for _ in range(MAX_CHAIN):
        if not (_inspectable(node, path) and _is_qcow2(path)):
            break
        backing = node.disk_images.info(path, "qcow2").get("full-backing-filename")
        if not backing or backing in chain:
            break
        chain.add(backing)
        path = Path(backing)
    return chain


def _inspectable(node: Node, path: Path) -> bool:
    """Whether `path` is a disk the node made itself, which qemu-img may open: a qcow2
    entry of its cache (root/images/<image id>-<sha prefix>.qcow2) or an instance's root
    disk (root/instances/<host id>/disk.qcow2 or its set-aside disk.qcow2.pre-rebuild).
    Never a symlink, nor anything else under the root or outside it."""
    try:
        if path.is_symlink() or not path.is_file():
            return False
        directory = path.parent.resolve()
    except OSError:
        return False
    root = node.root.resolve()
    if directory == root / "images":
        return bool(CACHED_QCOW2.fullmatch(path.name))
    if directory.parent == root / "instances":
        host = directory.name
        return path.name in {node.root_disk(host).name, aside_disk(node, host).name}
    return False


def _is_qcow2(path: Path) -> bool:
    try:
        if not path.is_file():
            return False
        with open(path, "rb") as fh:
            return fh.read(4) == QCOW2_MAGIC
    except OSError:
        return False


def _unlink_if_still_old(entry: CacheEntry, max_age: float) -> bool:
    """A cache hit between the decision and now refreshed the mtime: keep it then."""
    path = Path(entry.path)
    try:
        if time.time() - path.stat().st_mtime <= max_age:
            return False
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _summary(entries: list[CacheEntry]) -> dict:
    return {"files": len(entries), "bytes": sum(e.size for e in entries)}
