"""Backups through the API against the real Swift: back up, change, back up
incrementally, restore both and compare bytes; the conflicts; Swift stopped mid-backup."""
import hashlib
import os
import signal
import subprocess
import time
import uuid

import pytest
import requests

from operations.bootstrap import object_store
from tests.e2e.conftest import REPO, prefect_auth, unique_name

MIB = 1 << 20


def volume_file(settings, volume: dict):
    return settings.state_dir / "nodes" / volume["hypervisor"] / "volumes" / f"vol-{volume['id']}.raw"


def write(settings, volume: dict, offset: int, data: bytes) -> None:
    with open(volume_file(settings, volume), "r+b") as fh:
        fh.seek(offset)
        fh.write(data)


def read(settings, volume: dict, offset: int, length: int) -> bytes:
    with open(volume_file(settings, volume), "rb") as fh:
        fh.seek(offset)
        return fh.read(length)


def create_volume(api, size_gb: int = 1) -> dict:
    resp = api.post("/v1/volumes", {"name": unique_name("bk"), "size_gb": size_gb, "env": "test"},
                    key=str(uuid.uuid4()))
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    return api.get(f"/v1/volumes/{resp.json()['volume']['id']}").json()["volume"]


def succeeded(api, resp) -> dict:
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    return op


@pytest.fixture(scope="module")
def source(api, settings):
    """A 1 GiB volume holding 40 MiB of data at its start."""
    volume = create_volume(api)
    data = os.urandom(40 * MIB)
    write(settings, volume, 0, data)
    yield {**volume, "data": data}
    api.delete(f"/v1/volumes/{volume['id']}")


@pytest.fixture(scope="module")
def full(api, source):
    op = succeeded(api, api.post(f"/v1/volumes/{source['id']}/backups", {"name": unique_name("full")},
                                 key=str(uuid.uuid4())))
    return {"op": op, "backup": api.get(f"/v1/backups/{op['backup_id']}").json()["backup"]}


@pytest.fixture(scope="module")
def incremental(api, settings, source, full):
    write(settings, source, 33 * MIB, b"changed after the full backup")
    op = succeeded(api, api.post(f"/v1/volumes/{source['id']}/backups", {"incremental": True},
                                 key=str(uuid.uuid4())))
    return {"op": op, "backup": api.get(f"/v1/backups/{op['backup_id']}").json()["backup"]}


def test_a_backup_is_available_with_its_chunks_counted(api, source, full):
    backup = full["backup"]
    assert backup["state"] == "available" and not backup["incremental"]
    assert backup["stats"]["stored_chunks"] == 2 and backup["stats"]["chunks"] == 32  # 32 MiB chunks
    assert api.get(f"/v1/volumes/{source['id']}").json()["volume"]["state"] == "available"


def test_the_operation_reports_bytes_done_of_total(full):
    progress = full["op"]["progress"]
    assert progress["step"] == "backup_volume"
    assert progress["done_bytes"] == progress["total_bytes"] == 1 << 30 and progress["percent"] == 100.0


def test_the_prefect_task_run_carries_a_progress_artifact(settings, full):
    resp = requests.post(f"{settings.prefect_api_url}/artifacts/filter", timeout=10, auth=prefect_auth(), json={
        "artifacts": {"key": {"any_": [f"backup-volume-{full['op']['id']}"]}}})
    artifact = resp.json()[0]
    assert artifact["type"] == "progress" and artifact["data"] == 100 and artifact["task_run_id"]


def test_the_manifest_is_in_the_backup_bucket(settings, full):
    bucket, _, key = full["backup"]["location"].removeprefix("s3://").partition("/")
    assert bucket == settings.backup_bucket
    assert object_store(settings).head(bucket, key) is not None


def test_an_incremental_backup_stores_only_the_changed_chunk(incremental, full):
    backup = incremental["backup"]
    assert backup["incremental"] and backup["parent_id"] == full["backup"]["id"]
    assert backup["stats"]["stored_chunks"] == 1 and backup["stats"]["referenced_chunks"] == 1


def test_restoring_the_full_backup_to_a_new_volume_gives_the_original_bytes(api, settings, source, full,
                                                                          incremental):
    op = succeeded(api, api.post(f"/v1/backups/{full['backup']['id']}/restore", {}))
    restored = api.get(f"/v1/volumes/{op['volume_id']}").json()["volume"]
    assert restored["state"] == "available" and restored["size_gb"] == 1
    assert hashlib.sha256(read(settings, restored, 0, 40 * MIB)).digest() == hashlib.sha256(source["data"]).digest()
    api.delete(f"/v1/volumes/{restored['id']}")


def test_restoring_the_incremental_onto_an_available_volume_gives_the_changed_bytes(api, settings, source,
                                                                                   incremental):
    target = create_volume(api)
    write(settings, target, 500 * MIB, b"whatever was there before")
    succeeded(api, api.post(f"/v1/backups/{incremental['backup']['id']}/restore", {"volume_id": target["id"]}))
    expected = bytearray(source["data"])
    expected[33 * MIB:33 * MIB + 29] = b"changed after the full backup"
    assert read(settings, target, 0, 40 * MIB) == bytes(expected)
    assert read(settings, target, 500 * MIB, 25) == bytes(25)
    assert api.get(f"/v1/volumes/{target['id']}").json()["volume"]["state"] == "available"
    api.delete(f"/v1/volumes/{target['id']}")


def test_deleting_a_backup_that_an_incremental_depends_on_is_refused(api, full, incremental):
    resp = api.delete(f"/v1/backups/{full['backup']['id']}")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "backup_has_dependents"
    assert api.get(f"/v1/backups/{full['backup']['id']}").json()["backup"]["state"] == "available"


def test_deleting_the_child_then_the_parent_removes_their_objects(api, settings, full, incremental):
    store, bucket = object_store(settings), settings.backup_bucket
    for backup in (incremental["backup"], full["backup"]):
        succeeded(api, api.delete(f"/v1/backups/{backup['id']}"))
        assert api.get(f"/v1/backups/{backup['id']}").json()["backup"]["state"] == "deleted"
        assert store.keys(bucket, backup["location"].split("/", 3)[3].removesuffix("manifest.json")) == []


def test_an_incremental_backup_without_a_full_one_is_refused(api):
    volume = create_volume(api)
    resp = api.post(f"/v1/volumes/{volume['id']}/backups", {"incremental": True})
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "no_parent_backup"
    assert api.get(f"/v1/volumes/{volume['id']}").json()["volume"]["state"] == "available"
    assert api.get(f"/v1/backups?volume_id={volume['id']}").json()["backups"] == []
    api.delete(f"/v1/volumes/{volume['id']}")


def test_a_restore_onto_a_smaller_volume_is_refused(api, source):
    big = create_volume(api, size_gb=2)
    op = succeeded(api, api.post(f"/v1/volumes/{big['id']}/backups", {}))
    resp = api.post(f"/v1/backups/{op['backup_id']}/restore", {"volume_id": source["id"]})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "volume_too_small"
    assert api.get(f"/v1/backups/{op['backup_id']}").json()["backup"]["state"] == "available"
    succeeded(api, api.delete(f"/v1/backups/{op['backup_id']}"))
    api.delete(f"/v1/volumes/{big['id']}")


# --- Swift stopped mid-backup ---------------------------------------------------

def _proxy_pid() -> int:
    return int((REPO / ".hostflow" / "run" / "swift-proxy.pid").read_text())


def _first_chunk_stored(store, bucket: str, prefix: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if store.keys(bucket, prefix):
            return True
        time.sleep(0.05)
    return False


def test_swift_stopped_mid_backup_fails_clearly_and_a_retry_completes(api, settings):
    volume = create_volume(api)
    write(settings, volume, 0, os.urandom(512 * MIB))
    store = object_store(settings)
    resp = api.post(f"/v1/volumes/{volume['id']}/backups", {}, key=str(uuid.uuid4()))
    backup_id, op_id = resp.json()["backup"]["id"], resp.json()["operation"]["id"]
    prefix = f"backups/{volume['id']}/{backup_id}/"
    assert _first_chunk_stored(store, settings.backup_bucket, prefix)
    os.kill(_proxy_pid(), signal.SIGKILL)
    try:
        failed = api.wait(op_id)
        assert failed["state"] == "failed" and failed["error"]["code"] == "object_store_unavailable"
        assert api.get(f"/v1/backups/{backup_id}").json()["backup"]["state"] == "error"
        assert api.get(f"/v1/volumes/{volume['id']}").json()["volume"]["state"] == "available"
    finally:
        subprocess.run(["bash", str(REPO / "scripts" / "stack.sh"), "up"], check=True, capture_output=True)
    assert api.post(f"/v1/operations/{op_id}/retry").status_code == 202
    retried = api.wait(op_id)
    assert retried["state"] == "succeeded", retried["error"]
    stats = api.get(f"/v1/backups/{backup_id}").json()["backup"]["stats"]
    assert stats["stored_chunks"] == 16
    succeeded(api, api.delete(f"/v1/backups/{backup_id}"))
    api.delete(f"/v1/volumes/{volume['id']}")
