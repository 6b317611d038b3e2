"""Snapshot and rebuild functions against real libvirtd, a QEMU TCG guest and Swift:
a live copy (blockCopy) and a stopped copy (qemu-img convert), both flattened, the
upload, and the rebuild's disk and boot steps with their inverses; the second run
of each is already done."""
import dataclasses
import subprocess
import uuid

import pytest

from functions import compute, disks, rebuild, snapshots
from infra import domain_boot, qemu_img
from infra.domain_xml import domain_name
from infra.image_source import sha512_of
from infra.settings import Settings
from operations.bootstrap import object_store
from tests.integration.test_node_functions import bring_up, requests

GIB = 1 << 30
BUCKET = "hostflow-itest-snapshots"


@pytest.fixture(scope="module")
def snode(node):
    return dataclasses.replace(node, objects=object_store(Settings.from_env()))


@pytest.fixture(scope="module")
def guest(snode, test_image):
    host_id = str(uuid.uuid4())
    req = requests(test_image, host_id, "it-snap", "10.213.9.20")
    bring_up(snode, req)
    yield {"req": req, "host_id": host_id, "base": str(snode.cached_image(test_image["ami"]))}
    compute.ensure_undefined(snode, req["host"])
    disks.delete_instance_files(snode, req["host"])


def _chain(node, guest) -> tuple:
    name = domain_name(guest["host_id"])
    return (qemu_img.info(node.root_disk(guest["host_id"]), "qcow2").get("backing-filename"),
            node.compute.disks(name, live=True), node.compute.disks(name))


def _snapshot(node, guest) -> tuple[dict, object, object]:
    req = {"host_id": guest["host_id"], "image_id": str(uuid.uuid4())}
    first = snapshots.snapshot_root_disk(node, req)
    return req, first, snapshots.snapshot_root_disk(node, req)


def _assert_flat_copy(node, req, outcome):
    path = snapshots.snapshot_file(node, req["image_id"])
    info = qemu_img.info(path, "qcow2")
    assert "backing-filename" not in info and info["virtual-size"] == 2 * GIB
    # the test guest runs no agent: its copy is never quiesced
    assert outcome.data == {"path": str(path), "size": path.stat().st_size, "virtual_size": 2 * GIB,
                            "quiesced": False}
    assert not path.with_name(path.name + ".part").exists()


def test_live_snapshot_is_a_flat_copy_and_leaves_the_guest_and_its_chain_alone(snode, guest):
    chain = _chain(snode, guest)
    req, first, again = _snapshot(snode, guest)
    assert first.changed and first.note == "block_copy"
    assert not again.changed
    _assert_flat_copy(snode, req, first)
    assert _chain(snode, guest) == chain and chain[0] == guest["base"]
    assert snode.compute.state(domain_name(guest["host_id"])) == "running"
    assert snode.compute.block_job(domain_name(guest["host_id"]), "vda") is None
    snapshots.delete_snapshot_file(snode, req)


def test_upload_hashes_and_stores_the_file_once_and_its_inverses(snode, guest):
    req, _, _ = _snapshot(snode, guest)
    path = snapshots.snapshot_file(snode, req["image_id"])
    up = {"image_id": req["image_id"], "bucket": BUCKET, "key": snapshots.image_key(req["image_id"])}
    first = snapshots.upload_image_file(snode, up)
    assert first.changed
    assert first.data == {"sha512": sha512_of(path), "size": path.stat().st_size, "virtual_size": 2 * GIB,
                          "location": f"s3://{BUCKET}/images/{req['image_id']}"}
    assert not snapshots.upload_image_file(snode, up).changed
    assert snapshots.delete_snapshot_file(snode, req).changed and not path.exists()
    assert not snapshots.delete_snapshot_file(snode, req).changed
    kept = snapshots.upload_image_file(snode, up)  # the file is gone, the object stands for it
    assert not kept.changed and kept.data == first.data
    assert snapshots.delete_image_object(snode, up).changed
    assert snode.objects.head(BUCKET, up["key"]) is None
    assert not snapshots.delete_image_object(snode, up).changed


def test_stopped_snapshot_is_a_flat_copy_equal_to_the_disk(snode, guest):
    compute.ensure_stopped(snode, guest["req"]["host"])
    chain = _chain(snode, guest)
    req, first, again = _snapshot(snode, guest)
    assert first.changed and first.note == "convert" and not again.changed
    _assert_flat_copy(snode, req, first)
    assert _chain(snode, guest) == chain
    path, disk = snapshots.snapshot_file(snode, req["image_id"]), snode.root_disk(guest["host_id"])
    same = subprocess.run(["qemu-img", "compare", "-f", "qcow2", "-F", "qcow2", str(path), str(disk)],
                          capture_output=True, text=True)
    assert same.returncode == 0, same.stdout + same.stderr
    snapshots.delete_snapshot_file(snode, req)


def test_root_disk_set_aside_replaced_and_put_back(snode, guest):
    compute.ensure_stopped(snode, guest["req"]["host"])
    host, disk = guest["req"]["host"], snode.root_disk(guest["host_id"])
    aside = rebuild.aside_disk(snode, guest["host_id"])
    own = disk.stat().st_ino
    assert not rebuild.discard_new_root_disk(snode, host).changed and disk.exists()  # nothing aside: never
    assert rebuild.set_root_disk_aside(snode, host).changed and aside.stat().st_ino == own and not disk.exists()
    assert not rebuild.set_root_disk_aside(snode, host).changed
    assert disks.ensure_root_disk(snode, guest["req"]["disk"]).changed and disk.stat().st_ino != own
    assert not rebuild.set_root_disk_aside(snode, host).changed  # a new disk in place: still aside
    assert rebuild.discard_new_root_disk(snode, host).changed and not disk.exists()
    assert not rebuild.discard_new_root_disk(snode, host).changed
    assert rebuild.restore_root_disk(snode, host).changed and disk.stat().st_ino == own and not aside.exists()
    assert not rebuild.restore_root_disk(snode, host).changed


def test_old_root_disk_deleted_once_done(snode, guest):
    compute.ensure_stopped(snode, guest["req"]["host"])
    host = guest["req"]["host"]
    rebuild.set_root_disk_aside(snode, host)
    disks.ensure_root_disk(snode, guest["req"]["disk"])
    assert rebuild.delete_pre_rebuild_files(snode, host).changed
    assert not rebuild.aside_disk(snode, guest["host_id"]).exists() and snode.root_disk(guest["host_id"]).exists()
    assert not rebuild.delete_pre_rebuild_files(snode, host).changed


def test_boot_config_edited_and_restored(snode, guest):
    compute.ensure_stopped(snode, guest["req"]["host"])
    name = domain_name(guest["host_id"])
    before, devices = snode.compute.xml(name), snode.compute.disks(name)
    req = {"host_id": guest["host_id"], "boot": {}}
    first = rebuild.ensure_boot_config(snode, req)
    assert first.changed and domain_boot.read_boot(snode.compute.xml(name))["kernel"] is None
    assert not rebuild.ensure_boot_config(snode, req).changed
    assert snode.compute.disks(name) == devices
    assert rebuild.restore_boot_config(snode, {"host_id": guest["host_id"]}).changed
    assert snode.compute.xml(name) == before
    assert not rebuild.restore_boot_config(snode, {"host_id": guest["host_id"]}).changed
    same = {"host_id": guest["host_id"], "boot": guest["req"]["domain"]["boot"]}
    assert not rebuild.ensure_boot_config(snode, same).changed
