"""Volume functions against real libvirtd (storage pool API) and one running QEMU TCG guest."""
import time
import uuid
from pathlib import Path

import pytest

from functions import compute, disks, volumes
from infra import console
from infra.domain_xml import domain_name
from infra.libvirt_storage import LibvirtStorage
from tests.integration.test_node_functions import bring_up, requests

GIB = 1 << 30


def _remove_pool(node) -> None:
    LibvirtStorage.sharing(node.compute).remove_pool(volumes.pool_name(node))


@pytest.fixture(scope="module")
def guest(node, test_image):
    _remove_pool(node)  # a leftover from an earlier run points at a directory since removed
    host_id = str(uuid.uuid4())
    req = requests(test_image, host_id, "it-volumes", "10.213.9.20")
    bring_up(node, req)
    yield {"host_id": host_id, "req": req}
    compute.ensure_undefined(node, req["host"])
    disks.delete_instance_files(node, req["host"])
    _remove_pool(node)


@pytest.fixture(scope="module")
def vol(guest):
    vid = str(uuid.uuid4())  # 36 characters: the guest sees the first 20
    return {"volume_id": vid, "host_id": guest["host_id"], "size_gb": 1}


def _serial_in_guest(node, vol) -> dict | None:
    return volumes.visible_block(console.latest(node.console_log(vol["host_id"])), vol["volume_id"])


def _wait_gone_from_guest(node, vol, timeout=10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _serial_in_guest(node, vol) is None:
            return True
        time.sleep(0.1)
    return False


def _sources(node, vol, live) -> list:
    return [d["source"] for d in node.compute.disks(domain_name(vol["host_id"]), live=live)]


def test_ensure_volume_creates_a_sparse_raw_file_in_the_pool(node, vol):
    out = volumes.ensure_volume(node, vol)
    path = Path(out.data["path"])
    assert out.changed
    assert path == node.root / "volumes" / f"vol-{vol['volume_id']}.raw"
    assert path.stat().st_size == GIB and path.stat().st_blocks == 0
    assert volumes.plan_volume(node, vol).noop


def test_ensure_volume_again_is_unchanged(node, vol):
    out = volumes.ensure_volume(node, vol)
    assert not out.changed and out.data["path"].endswith(".raw")
    assert not volumes.ensure_volume(node, {**vol, "size_gb": 0}).changed  # never shrinks


def test_attach_to_the_running_guest_shows_the_serial(node, vol):
    assert volumes.plan_attach(node, vol).detail == "vdc"
    out = volumes.attach_volume(node, vol)
    assert out.changed and out.data["target"] == "vdc" and out.data["console_offset"] > 0
    seen = volumes.wait_volume_visible(node, {**vol, "timeout": 15})
    assert seen.data == {"device": "vdc", "size_bytes": GIB}
    assert _serial_in_guest(node, vol)["serial"] == vol["volume_id"][:20]


def test_attach_again_is_unchanged(node, vol):
    out = volumes.attach_volume(node, vol)
    assert not out.changed and out.data["target"] == "vdc"
    assert volumes.plan_attach(node, vol).noop


def test_disk_is_in_the_persistent_definition(node, vol):
    path = str(node.root / "volumes" / f"vol-{vol['volume_id']}.raw")
    assert path in _sources(node, vol, live=False)
    assert path in _sources(node, vol, live=True)
    persistent = next(d for d in node.compute.disks(domain_name(vol["host_id"])) if d["source"] == path)
    assert persistent["serial"] == vol["volume_id"] and persistent["target"] == "vdc"


def test_detach_removes_it_from_guest_and_both_definitions(node, vol):
    started = time.monotonic()
    out = volumes.detach_volume(node, vol)
    assert out.changed and out.note == "live+config", out
    print(f"detach took {time.monotonic() - started:.2f}s")
    path = str(node.root / "volumes" / f"vol-{vol['volume_id']}.raw")
    assert path not in _sources(node, vol, live=True)
    assert path not in _sources(node, vol, live=False)
    assert _wait_gone_from_guest(node, vol)


def test_detach_again_is_unchanged(node, vol):
    assert not volumes.detach_volume(node, vol).changed
    assert volumes.plan_detach(node, vol).noop
    assert not volumes.detach_volume(node, {**vol, "host_id": str(uuid.uuid4())}).changed  # no domain


def test_delete_volume_removes_the_file_and_is_idempotent(node, vol):
    path = node.root / "volumes" / f"vol-{vol['volume_id']}.raw"
    assert volumes.delete_volume(node, vol).changed
    assert not path.exists()
    assert not volumes.delete_volume(node, vol).changed
    assert volumes.plan_delete_volume(node, vol).noop


def test_delete_host_volumes_removes_each_and_again_is_unchanged(node):
    ids = [str(uuid.uuid4()) for _ in range(2)]
    for vid in ids:
        volumes.ensure_volume(node, {"volume_id": vid, "size_gb": 1})
    req = {"volume_ids": [*ids, str(uuid.uuid4())]}  # the third never existed
    assert volumes.plan_delete_host_volumes(node, req).action == "delete"
    out = volumes.delete_host_volumes(node, req)
    assert out.changed and out.data == {"deleted": ids}
    assert not any((node.root / "volumes" / volumes.volume_name(vid)).exists() for vid in ids)
    again = volumes.delete_host_volumes(node, req)
    assert not again.changed and again.data == {"deleted": []}
    assert volumes.plan_delete_host_volumes(node, req).noop
