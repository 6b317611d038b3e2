"""The `logical` (LVM) pool type on a loop device, through libvirt's storage API.

This kernel has no device-mapper (not in /proc/misc): the volume group
is built and the pool runs, but no logical volume can be activated, so the volume
round trip is skipped here and runs where device-mapper exists."""
import dataclasses
import subprocess
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from functions import volumes
from infra.errors import StorageError
from infra.libvirt_storage import PoolSpec, pool_xml, volume_xml

MIB = 1 << 20
DEVICE_MAPPER = "device-mapper" in Path("/proc/misc").read_text()


def _losetup(*args: str) -> str:
    return subprocess.run(["losetup", *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def loop(node):
    backing = node.root / "lvm-pv.img"
    node.make_dir(node.root)
    for stale in _losetup("-j", str(backing)).splitlines():
        _losetup("-d", stale.split(":")[0])
    with open(backing, "wb") as fh:
        fh.truncate(256 * MIB)
    device = _losetup("-f", "--show", str(backing))
    yield device
    _losetup("-d", device)
    backing.unlink()


@pytest.fixture(scope="module")
def lnode(node, loop):
    group = f"hftest{uuid.uuid4().hex[:6]}"
    spec = PoolSpec.logical(group, (loop,))
    lvm = dataclasses.replace(node, name=f"lvm-{group}", volume_pool=spec)
    yield lvm
    lvm.storage.remove_pool(volumes.pool_name(lvm), wipe=True)


def test_the_pool_xml_names_the_group_and_its_devices():
    pool = ET.fromstring(pool_xml("p", PoolSpec.logical("vg0", ("/dev/sdb", "/dev/sdc"))))
    assert pool.get("type") == "logical" and pool.findtext("source/name") == "vg0"
    assert [d.get("path") for d in pool.iterfind("source/device")] == ["/dev/sdb", "/dev/sdc"]
    assert pool.findtext("target/path") == "/dev/vg0" and pool.find("source/format").get("type") == "lvm2"


def test_a_logical_volume_is_fully_allocated_and_has_no_file_format():
    vol = ET.fromstring(volume_xml("v", 5 * MIB, "logical"))
    assert vol.findtext("allocation") == str(5 * MIB) and vol.find("target") is None


def test_the_volume_group_is_built_on_the_device_and_the_pool_runs(lnode, loop):
    assert lnode.storage.ensure_pool(volumes.pool_name(lnode), lnode.volume_pool)
    pvs = subprocess.run(["pvs", "--noheadings", "-o", "pv_name,vg_name", loop], capture_output=True, text=True)
    assert pvs.stdout.split() == [loop, lnode.volume_pool.group]
    pool = lnode.storage.conn.storagePoolLookupByName(volumes.pool_name(lnode))
    assert pool.isActive() and pool.info()[1] > 200 * MIB


def test_ensuring_the_pool_again_changes_nothing(lnode):
    assert not lnode.storage.ensure_pool(volumes.pool_name(lnode), lnode.volume_pool)


@pytest.mark.skipif(not DEVICE_MAPPER, reason="no device-mapper in this kernel: logical volumes cannot be activated")
def test_a_volume_is_created_as_a_block_device_and_deleted(lnode):
    vol = {"volume_id": str(uuid.uuid4()), "size_gb": 0}
    out = volumes.ensure_volume(lnode, {**vol, "size_gb": 1})
    assert out.data["path"] == f"/dev/{lnode.volume_pool.group}/{volumes.volume_name(vol['volume_id'])}"
    assert volumes.delete_volume(lnode, vol).changed


@pytest.mark.skipif(DEVICE_MAPPER, reason="device-mapper is present")
def test_without_device_mapper_creating_a_volume_fails_clearly(lnode):
    with pytest.raises(StorageError) as err:
        volumes.ensure_volume(lnode, {"volume_id": str(uuid.uuid4()), "size_gb": 1})
    assert "device-mapper" in err.value.message
