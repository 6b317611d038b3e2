"""Cleaning a hypervisor's image cache: unused entries older than an age are removed.

In use, and never removed whatever its age: any file in the backing chain of a qcow2
under the instances directory or of a disk of a defined domain (persistent or live
definition), and any file a domain names (its kernel, initrd). If usage cannot be
established (qemu-img or libvirt fails), nothing is removed.

Age counts from the entry's mtime, which ensure_image_cached refreshes on every
cache hit, so it is the time since the entry was last asked for. atime is not used:
relatime and noatime mounts make it unreliable. Leftover temporary files (`.part`,
`.src`, `.tmp` of a crashed download) are entries like any other."""
from __future__ import annotations

import logging
import os
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from functions.node import Node
from functions.outcome import Outcome, Plan

log = logging.getLogger("hostflow.image_cache")
QCOW2_MAGIC = b"QFI\xfb"
MAX_CHAIN = 16


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
    disks = {p for p in (node.root / "instances").rglob("*") if _is_qcow2(p)}
    disks |= {Path(f) for f in named if _is_qcow2(Path(f))}
    for disk in disks:
        named |= _backing_chain(node, disk)
    return {os.path.realpath(f) for f in named}


def _backing_chain(node: Node, path: Path) -> set[str]:
    chain: set[str] = set()
    for _ in range(MAX_CHAIN):
        backing = node.disk_images.info(path, "qcow2").get("full-backing-filename")
        if not backing or backing in chain:
            break
        chain.add(backing)
        path = Path(backing)
        if not _is_qcow2(path):
            break
    return chain


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
