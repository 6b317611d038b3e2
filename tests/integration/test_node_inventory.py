"""The node inventory's volumes against real libvirtd: a pool of its own, listed through
the storage API."""
import dataclasses
import uuid

import pytest

from functions import inventory, volumes
from infra.libvirt_storage import PoolSpec

GIB = 1 << 30


@pytest.fixture
def inode(node):
    """The test node under a name of its own, so its pool is not the other modules'."""
    tag = uuid.uuid4().hex[:8]
    n = dataclasses.replace(node, name=f"inventory-{tag}",
                            volume_pool=PoolSpec("dir", node.root / f"volumes-{tag}", gid=node.qemu_gid))
    yield n
    pool = volumes.pool_name(n)
    for vol in n.storage.volumes(pool):
        n.storage.delete_volume(pool, vol["name"])
    n.storage.remove_pool(pool, wipe=True)


def test_a_volume_made_in_the_pool_is_listed_with_its_capacity(inode):
    vid = str(uuid.uuid4())
    path = volumes.ensure_volume(inode, {"volume_id": vid, "size_gb": 1}).data["path"]
    name = f"vol-{vid}.raw"
    assert inode.storage.volumes(volumes.pool_name(inode)) == [{"name": name, "path": path, "capacity": GIB,
                                                                 "allocation": 0}]
    assert inventory.node_inventory(inode, {}).data["volumes"] == [{"name": name, "path": path, "bytes": GIB,
                                                                    "allocated_bytes": 0}]
