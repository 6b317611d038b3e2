"""Backup functions against real libvirt pool volumes and the real Swift (s3api)."""
import dataclasses
import hashlib
import json
import os
import uuid

import pytest

from functions import backups, volumes
from infra.block_io import BlockDevice
from infra.errors import StorageError

MIB = 1 << 20
CHUNK = 4 * MIB
GIB = 1 << 30


class Recording:
    """The node's progress reports, kept."""

    def __init__(self):
        self.calls = []

    def __call__(self, done, total):
        self.calls.append((done, total))


@pytest.fixture
def bnode(node, objects):
    return dataclasses.replace(node, objects=objects, progress=Recording())


def _new_volume(node) -> dict:
    vid = str(uuid.uuid4())
    path = volumes.ensure_volume(node, {"volume_id": vid, "size_gb": 1}).data["path"]
    return {"volume_id": vid, "path": path}


def _write(path: str, offset: int, data: bytes) -> None:
    with BlockDevice(path, writable=True) as dev:
        dev.write(offset, data)


def _read(path: str, offset: int, length: int) -> bytes:
    with BlockDevice(path) as dev:
        return dev.read(offset, length)


def _request(bucket: str, vol: dict, parent: dict | None = None) -> dict:
    backup_id = str(uuid.uuid4())
    return {"backup_id": backup_id, "volume_id": vol["volume_id"], "bucket": bucket, "chunk_size": CHUNK,
            "manifest": backups.manifest_key(vol["volume_id"], backup_id),
            "parent_manifest": parent and parent["manifest"]}


@pytest.fixture(scope="module")
def source(node):
    """A 1 GiB volume with 6 MiB of data at its start and 4 MiB at 512 MiB."""
    vol = _new_volume(node)
    first, second = os.urandom(6 * MIB), os.urandom(4 * MIB)
    _write(vol["path"], 0, first)
    _write(vol["path"], 512 * MIB, second)
    yield {**vol, "first": first, "second": second}
    volumes.delete_volume(node, vol)


@pytest.fixture(scope="module")
def full(node, objects, bucket, source):
    req = _request(bucket, source)
    out = backups.backup_volume(dataclasses.replace(node, objects=objects), req)
    return {**req, "outcome": out}


def test_a_full_backup_stores_each_non_zero_chunk_with_its_sha256(objects, bucket, source, full):
    manifest = json.loads(objects.get_bytes(bucket, full["manifest"]))
    stored = [c for c in manifest["chunks"] if c["key"]]
    assert full["outcome"].changed
    assert len(manifest["chunks"]) == GIB // CHUNK
    assert [c["index"] for c in stored] == [0, 1, 128]
    assert full["outcome"].data["stored_bytes"] == 3 * CHUNK and full["outcome"].data["zero_chunks"] == 253
    body = objects.get_bytes(bucket, stored[2]["key"])
    assert body == source["second"] and hashlib.sha256(body).hexdigest() == stored[2]["sha256"]


def test_backing_up_again_is_unchanged(bnode, full):
    out = backups.backup_volume(bnode, {k: v for k, v in full.items() if k != "outcome"})
    assert not out.changed and out.data["stored_chunks"] == 3
    assert backups.plan_backup(bnode, full).noop


def test_an_incremental_backup_stores_only_the_changed_chunk(bnode, objects, bucket, source, full):
    _write(source["path"], 512 * MIB + 100, b"changed")
    req = _request(bucket, source, parent=full)
    out = backups.backup_volume(bnode, req)
    manifest = json.loads(objects.get_bytes(bucket, req["manifest"]))
    assert out.data["stored_chunks"] == 1 and out.data["referenced_chunks"] == 2
    assert [c["key"] for c in manifest["chunks"] if c["key"]][:2] == [f"{full['manifest'][:-13]}chunk-{i:08d}"
                                                                      for i in (0, 1)]
    assert bnode.progress.calls[-1] == (GIB, GIB)
    _write(source["path"], 512 * MIB, source["second"])  # back as the full backup has it


def test_restore_onto_a_fresh_volume_gives_the_backed_up_bytes(bnode, source, full):
    target = _new_volume(bnode)
    out = backups.restore_backup(bnode, {"volume_id": target["volume_id"], "bucket": full["bucket"],
                                         "manifest": full["manifest"]})
    assert out.changed and out.data["bytes_written"] == 3 * CHUNK
    assert _read(target["path"], 0, 6 * MIB) == source["first"]
    assert _read(target["path"], 512 * MIB, 4 * MIB) == source["second"]
    assert _read(target["path"], 6 * MIB, MIB) == bytes(MIB)
    again = backups.restore_backup(bnode, {"volume_id": target["volume_id"], "bucket": full["bucket"],
                                           "manifest": full["manifest"]})
    assert not again.changed
    volumes.delete_volume(bnode, target)


def test_restore_overwrites_what_differs_including_data_where_the_backup_has_zeros(bnode, source, full):
    target = _new_volume(bnode)
    _write(target["path"], 300 * MIB, b"stale data")
    _write(target["path"], 0, b"junk")
    out = backups.restore_backup(bnode, {"volume_id": target["volume_id"], "bucket": full["bucket"],
                                         "manifest": full["manifest"]})
    assert out.data["bytes_written"] == 4 * CHUNK  # three data chunks and the stale one, zeroed
    assert _read(target["path"], 300 * MIB, 10) == bytes(10)
    assert _read(target["path"], 0, 6 * MIB) == source["first"]
    volumes.delete_volume(bnode, target)


def test_restore_refuses_a_chunk_whose_sha256_does_not_match(bnode, objects, source):
    bucket = full_bucket = f"it-corrupt-{uuid.uuid4().hex[:8]}"
    objects.ensure_bucket(bucket)
    req = _request(full_bucket, source)
    backups.backup_volume(bnode, req)
    chunk = backups.chunk_key(req["manifest"][:-13], 128)
    objects.put_bytes(bucket, chunk, os.urandom(CHUNK))
    target = _new_volume(bnode)
    with pytest.raises(StorageError) as err:
        backups.restore_backup(bnode, {"volume_id": target["volume_id"], "bucket": bucket,
                                       "manifest": req["manifest"]})
    assert err.value.code == "backup_corrupt" and err.value.details["chunk"] == 128
    assert _read(target["path"], 512 * MIB, 4 * MIB) == bytes(4 * MIB)
    volumes.delete_volume(bnode, target)
    objects.delete_keys(bucket, objects.keys(bucket, ""))
    objects.client.delete_bucket(Bucket=bucket)


class FailingAfter:
    """The object store, failing every put after the first `allowed`."""

    def __init__(self, objects, allowed: int):
        self.objects, self.allowed, self.puts = objects, allowed, 0

    def __getattr__(self, name):
        return getattr(self.objects, name)

    def put_bytes(self, *args, **kwargs):
        self.puts += 1
        if self.puts > self.allowed:
            raise StorageError("object store unreachable", code="object_store_unavailable")
        return self.objects.put_bytes(*args, **kwargs)


def test_an_interrupted_backup_resumes_without_sending_stored_chunks_again(bnode, objects, bucket, source):
    req = _request(bucket, source)
    failing = FailingAfter(objects, allowed=2)
    with pytest.raises(StorageError):
        backups.backup_volume(dataclasses.replace(bnode, objects=failing, backup_workers=1), req)
    assert objects.head(bucket, req["manifest"]) is None
    counting = FailingAfter(objects, allowed=100)
    out = backups.backup_volume(dataclasses.replace(bnode, objects=counting), req)
    assert out.changed and out.data["stored_chunks"] == 3
    assert counting.puts == 2  # the one chunk not stored before, and the manifest


def test_delete_removes_every_object_of_the_backup_and_again_is_unchanged(bnode, objects, bucket, source):
    req = _request(bucket, source)
    backups.backup_volume(bnode, req)
    control = dataclasses.replace(bnode, objects=objects)
    out = backups.delete_backup_objects(control, req)
    assert out.changed and out.before == "4 objects"
    assert objects.keys(bucket, req["manifest"][:-13]) == []
    assert not backups.delete_backup_objects(control, req).changed
