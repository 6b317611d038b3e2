"""Functions reach the node's disk images through the Node they are given: run against a fake."""
from pathlib import Path

from functions import disks
from functions.node import Node

GIB = 1 << 30
BASE = {"id": "img1", "sha512": "ab" * 64, "location": "/x", "disk_format": "qcow2"}


class FakeDiskImages:
    """qemu-img as a dict of path -> `qemu-img info`; records what would change a disk."""

    def __init__(self, disks: dict[Path, dict]):
        self.disks, self.calls = disks, []

    def info(self, path: Path, fmt: str) -> dict:
        return dict(self.disks[Path(path)])

    def create_overlay(self, path: Path, base: Path, size_bytes: int) -> None:
        self.calls.append(("create_overlay", Path(path), size_bytes))

    def resize(self, path: Path, fmt: str, size_bytes: int) -> None:
        self.calls.append(("resize", Path(path), size_bytes))
        self.disks[Path(path)]["virtual-size"] = size_bytes

    def convert_to_qcow2(self, src: Path, fmt: str, dest: Path) -> None:
        self.calls.append(("convert_to_qcow2", Path(src), Path(dest)))


def node_with(tmp_path: Path, virtual_size: int) -> tuple[Node, FakeDiskImages]:
    """A node whose root disk for host h exists, on the cached base, `virtual_size` bytes as qemu-img sees it."""
    node = Node("n", tmp_path, None, None, None, "qemu", "s", disk_images=None, consoles=None, config_drives=None)
    disk = node.root_disk("h")
    disk.parent.mkdir(parents=True)
    disk.touch()  # only its existence is looked at; its contents are the fake's
    backing = str(node.cached_image(BASE).resolve())
    node.disk_images = FakeDiskImages({disk: {"virtual-size": virtual_size, "backing-filename": backing}})
    return node, node.disk_images


def test_a_root_disk_already_of_the_wanted_size_is_left_alone(tmp_path):
    node, fake = node_with(tmp_path, 10 * GIB)
    out = disks.ensure_root_disk(node, {"host_id": "h", "base": BASE, "disk_gb": 10})
    assert not out.changed and out.after == {"path": str(node.root_disk("h")), "virtual_size": 10 * GIB}
    assert fake.calls == []
    assert disks.plan_root_disk(node, {"host_id": "h", "base": BASE, "disk_gb": 10}).noop


def test_a_smaller_root_disk_is_grown_through_the_nodes_adapter(tmp_path):
    node, fake = node_with(tmp_path, 5 * GIB)
    out = disks.ensure_root_disk(node, {"host_id": "h", "base": BASE, "disk_gb": 10})
    assert out.changed and (out.before, out.after) == (5 * GIB, 10 * GIB)
    assert fake.calls == [("resize", node.root_disk("h"), 10 * GIB)]
