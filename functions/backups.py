"""Volume backups in object storage, chunked like Cinder's chunked backup drivers.

    backups/<volume id>/<backup id>/chunk-<index>   a chunk this backup stored
    backups/<volume id>/<backup id>/manifest.json   written last: the backup exists once it does

The manifest lists every chunk with its SHA-256 and the object holding it; for an
incremental backup that object may belong to an ancestor. A chunk of zeros is stored
as no object. Restore checks every chunk's SHA-256 before writing it.

A volume attached to a running guest is backed up live when the guest has an agent: the
volume is copied aside at one moment with the guest's filesystems frozen
(functions.live_copy), and the copy is what is chunked. A running guest without an agent
is refused (`guest_running`): hostflow copies a disk only while nothing writes to it
unless the guest can be quiesced."""
from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

from functions import live_copy
from functions.node import Control, Node
from functions.outcome import Outcome, Plan
from functions.volumes import LIVE_STATES, _volume, volume_name
from infra.block_io import BlockDevice
from infra.domain_xml import domain_name
from infra.errors import ComputeError, StorageError

FORMAT = "hostflow-chunked-v1"


def backup_prefix(volume_id: str, backup_id: str) -> str:
    return f"backups/{volume_id}/{backup_id}/"


def manifest_key(volume_id: str, backup_id: str) -> str:
    return backup_prefix(volume_id, backup_id) + "manifest.json"


def chunk_key(prefix: str, index: int) -> str:
    return f"{prefix}chunk-{index:08d}"


@lru_cache(maxsize=4)
def zeros(length: int) -> bytes:
    return bytes(length)


@lru_cache(maxsize=4)
def zeros_sha256(length: int) -> str:
    return hashlib.sha256(zeros(length)).hexdigest()


def chunk_spans(size: int, chunk_size: int) -> list[tuple[int, int, int]]:
    """(index, offset, length) of every chunk; the last may be short."""
    return [(i, off, min(chunk_size, size - off)) for i, off in enumerate(range(0, size, chunk_size))]


def decide_chunk(index: int, length: int, digest: str | None, parent: dict | None, own_key: str) -> tuple[dict, bool]:
    """The manifest entry for a chunk and whether its bytes must be stored.
    digest None: the chunk is all zeros."""
    if digest is None:
        return {"index": index, "length": length, "sha256": zeros_sha256(length), "key": None}, False
    entry = {"index": index, "length": length, "sha256": digest}
    if parent and parent["sha256"] == digest and parent["length"] == length and parent["key"]:
        return {**entry, "key": parent["key"]}, False
    return {**entry, "key": own_key}, True


def summary(manifest: dict) -> dict:
    chunks = manifest["chunks"]
    own = [c for c in chunks if c["key"] and c["key"].startswith(manifest["prefix"])]
    return {"manifest": manifest["key"], "size_bytes": manifest["size_bytes"], "chunks": len(chunks),
            "stored_chunks": len(own), "stored_bytes": sum(c["length"] for c in own),
            "zero_chunks": sum(1 for c in chunks if c["key"] is None),
            "referenced_chunks": sum(1 for c in chunks if c["key"] and not c["key"].startswith(manifest["prefix"]))}


class Progress:
    """Bytes done of total, handed to the node's reporter at most every `interval` seconds."""

    def __init__(self, report: Callable[[int, int], None], total: int, interval: float = 0.5):
        self.report, self.total, self.interval = report, total, interval
        self.done, self.last = 0, 0.0
        self.lock = threading.Lock()

    def add(self, count: int) -> None:
        with self.lock:
            self.done += count
            now = time.monotonic()
            if now - self.last < self.interval and self.done < self.total:
                return
            self.last = now
            done = self.done
        self.report(done, self.total)


def run_chunks(workers: int, work: Callable[[tuple], dict], spans: Iterable[tuple]) -> list[dict]:
    """Runs work on every span with `workers` threads, in order; the first error cancels
    the spans not yet started and is raised."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chunk")
    futures = [pool.submit(work, span) for span in spans]
    try:
        return [f.result() for f in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def load_manifest(objects, bucket: str, key: str) -> dict:
    return json.loads(objects.get_bytes(bucket, key))


# --- backup -----------------------------------------------------------------------

def _running_guest(node: Node, req: dict) -> str | None:
    """The domain of the running guest the volume is attached to, when it has an agent
    to quiesce it; None when no guest runs. A running guest without one is refused."""
    host_id = req.get("host_id")
    if not host_id or node.compute.state(domain_name(host_id)) not in LIVE_STATES:
        return None
    if req.get("readiness") != "agent":
        raise ComputeError(f"volume {req['volume_id']} is attached to running host {host_id}, whose image has no "
                           "guest agent to quiesce it: stop the guest or detach the volume first", code="guest_running")
    return domain_name(host_id)


def _live_target(node: Node, name: str | None, path: str) -> str | None:
    found = [d["target"] for d in node.compute.disks(name, live=True) if d["source"] == path] if name else []
    return found[0] if found else None


def live_copy_file(node: Node, backup_id: str) -> Path:
    return node.root / "backups" / f"{backup_id}.raw"


def backup_volume(node: Node, req: dict) -> Outcome:
    """req: {"backup_id", "volume_id", "bucket", "manifest", "chunk_size", "parent_manifest"?, "host_id"?,
    "readiness"? (of the host's image)}.

    Chunks already stored by an earlier, interrupted attempt are not sent again. No inverse:
    a failed backup's chunks stay for its retry, and deleting the backup removes them."""
    objects, bucket, key = node.objects, req["bucket"], req["manifest"]
    if objects.head(bucket, key) is not None:
        return Outcome.unchanged("backed up", **summary(load_manifest(objects, bucket, key)))
    guest = _running_guest(node, req)
    volume = _volume(node, req["volume_id"])
    if volume is None:
        raise StorageError(f"volume {volume_name(req['volume_id'])} does not exist", code="volume_absent")
    parent = load_manifest(objects, bucket, req["parent_manifest"]) if req.get("parent_manifest") else None
    objects.ensure_bucket(bucket)
    target = _live_target(node, guest, volume["path"])
    copy = live_copy_file(node, req["backup_id"])
    try:
        if target:
            node.make_dir(copy.parent)
            live_copy.copy_live(node, guest, target, copy, "raw", must_quiesce=True)
        chunks = _back_up_chunks(node, str(copy) if target else volume["path"], volume["capacity"], req, parent)
    finally:
        copy.unlink(missing_ok=True)
    manifest = {"format": FORMAT, "key": key, "prefix": key.rsplit("/", 1)[0] + "/", "backup_id": req["backup_id"],
                "volume_id": req["volume_id"], "parent": req.get("parent_manifest"), "live": bool(target),
                "size_bytes": volume["capacity"], "chunk_size": req["chunk_size"], "chunks": chunks}
    objects.put_bytes(bucket, key, json.dumps(manifest).encode(), {"format": FORMAT})
    facts = {**summary(manifest), "live": bool(target)}
    return Outcome(True, before="absent", after="backed up", data=facts,
                   note=f"{facts['stored_chunks']} of {facts['chunks']} chunks stored, "
                        f"{facts['referenced_chunks']} from the parent, {facts['zero_chunks']} zero"
                        + ("; copied live, quiesced by the guest agent" if target else ""))


def _back_up_chunks(node: Node, path: str, size: int, req: dict, parent: dict | None) -> list[dict]:
    prefix = req["manifest"].rsplit("/", 1)[0] + "/"
    with BlockDevice(path) as device:
        copier = _ChunkCopier(device, node.objects, req["bucket"], prefix, _parent_chunks(parent, req["chunk_size"]),
                              Progress(node.progress, size))
        return run_chunks(node.backup_workers, copier.back_up, chunk_spans(size, req["chunk_size"]))


def _parent_chunks(parent: dict | None, chunk_size: int) -> dict[int, dict]:
    """The parent's entries by index; a parent chunked differently shares nothing."""
    if not parent or parent["chunk_size"] != chunk_size:
        return {}
    return {c["index"]: c for c in parent["chunks"]}


class _ChunkCopier:
    def __init__(self, device: BlockDevice, objects, bucket: str, prefix: str, parent: dict[int, dict],
                 progress: Progress):
        self.device, self.objects, self.bucket, self.prefix = device, objects, bucket, prefix
        self.parent, self.progress = parent, progress

    def back_up(self, span: tuple[int, int, int]) -> dict:
        index, offset, length = span
        data = None if self.device.is_hole(offset, length) else self.device.read(offset, length)
        digest = None if data is None or data == zeros(length) else hashlib.sha256(data).hexdigest()
        own_key = chunk_key(self.prefix, index)
        entry, store = decide_chunk(index, length, digest, self.parent.get(index), own_key)
        if store and not self._already_stored(own_key, digest):
            self.objects.put_bytes(self.bucket, own_key, data, {"sha256": digest})
        self.progress.add(length)
        return entry

    def _already_stored(self, key: str, digest: str) -> bool:
        head = self.objects.head(self.bucket, key)
        return head is not None and head["metadata"].get("sha256") == digest

    def restore(self, entry: dict, chunk_size: int) -> int:
        """Writes one chunk after checking its SHA-256; returns the bytes written
        (0 when the volume already holds exactly this chunk)."""
        offset, length = entry["index"] * chunk_size, entry["length"]
        if self._in_place(offset, length, entry["sha256"]):
            self.progress.add(length)
            return 0
        data = zeros(length) if entry["key"] is None else self.objects.get_bytes(self.bucket, entry["key"])
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry["sha256"] or len(data) != length:
            raise StorageError(f"chunk {entry['index']} ({entry['key']}) is corrupt: sha256 {digest}, "
                               f"the manifest says {entry['sha256']}", code="backup_corrupt",
                               details={"chunk": entry["index"], "key": entry["key"]})
        self.device.write(offset, data)
        self.progress.add(length)
        return length

    def _in_place(self, offset: int, length: int, digest: str) -> bool:
        if self.device.is_hole(offset, length):
            return digest == zeros_sha256(length)
        return hashlib.sha256(self.device.read(offset, length)).hexdigest() == digest


# --- restore ----------------------------------------------------------------------

def restore_backup(node: Node, req: dict) -> Outcome:
    """req: {"volume_id", "bucket", "manifest"}. Overwrites the volume with the backup's
    bytes, chunk by chunk, each verified against the manifest; a corrupt chunk fails
    the step ("backup_corrupt"). Chunks the volume already holds are not fetched."""
    objects, bucket = node.objects, req["bucket"]
    manifest = load_manifest(objects, bucket, req["manifest"])
    volume = _volume(node, req["volume_id"])
    if volume is None:
        raise StorageError(f"volume {volume_name(req['volume_id'])} does not exist", code="volume_absent")
    if volume["capacity"] < manifest["size_bytes"]:
        raise StorageError(f"volume {req['volume_id']} holds {volume['capacity']} bytes, the backup "
                           f"{manifest['size_bytes']}", code="volume_too_small")
    progress = Progress(node.progress, manifest["size_bytes"])
    with BlockDevice(volume["path"], writable=True) as device:
        copier = _ChunkCopier(device, objects, bucket, manifest["prefix"], {}, progress)
        written = sum(run_chunks(node.backup_workers, lambda c: copier.restore(c, manifest["chunk_size"]),
                                 manifest["chunks"]))
        device.sync()
    if written == 0:
        return Outcome.unchanged("restored", note="every chunk was already in place", bytes_written=0)
    return Outcome(True, before="other data", after="restored", data={"bytes_written": written},
                   note=f"{written} bytes written from {len(manifest['chunks'])} chunks")


# --- delete -----------------------------------------------------------------------

def delete_backup_objects(control: Control, req: dict) -> Outcome:
    """req: {"bucket", "manifest"}. The manifest goes first, so a half-deleted backup is
    never taken for a whole one. Already gone is success."""
    objects, bucket, key = control.objects, req["bucket"], req["manifest"]
    prefix = key.rsplit("/", 1)[0] + "/"
    keys = objects.keys(bucket, prefix)
    if not keys:
        return Outcome.unchanged("absent")
    objects.delete(bucket, key)
    objects.delete_keys(bucket, [k for k in keys if k != key])
    if objects.keys(bucket, prefix):
        raise StorageError(f"objects under s3://{bucket}/{prefix} remain after delete", code="verify_failed")
    return Outcome(True, before=f"{len(keys)} objects", after="absent")


# --- plans ------------------------------------------------------------------------

def plan_backup(node: Node, req: dict) -> Plan:
    if node.objects.head(req["bucket"], req["manifest"]) is not None:
        return Plan("none")
    volume = _volume(node, req["volume_id"])
    size = volume["capacity"] if volume else 0
    kind = "incremental" if req.get("parent_manifest") else "full"
    return Plan("backup", f"{kind}, {size} bytes in chunks of {req['chunk_size']}")


def plan_restore(_node: Node, req: dict) -> Plan:
    return Plan("restore", f"s3://{req['bucket']}/{req['manifest']} onto volume {req['volume_id']}")


def plan_delete_backup(control: Control, req: dict) -> Plan:
    prefix = req["manifest"].rsplit("/", 1)[0] + "/"
    keys = control.objects.keys(req["bucket"], prefix)
    return Plan("delete", f"{len(keys)} objects") if keys else Plan("none")
