"""The image cache cleaner opens (qemu-img info) only disks the node made itself: its
cache's qcow2 entries and its instances' root disks. A guest writes its console log
(and its volumes); whatever their first bytes, they are never parsed.

Against a fake qemu-img recording every file it is asked about, on a real directory
tree; the domains are fakes of libvirt handing out real domain XML."""
import os
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from functions import image_cache
from functions.node import Node
from functions.rebuild import aside_disk
from infra.domain_xml import DomainSpec, build

DAY = 86400
QCOW2_MAGIC = b"QFI\xfb"
BASE = {"id": "img1", "sha512": "ab" * 64, "disk_format": "qcow2"}
OLD_BASE = {"id": "img2", "sha512": "cd" * 64, "disk_format": "vmdk"}
UNUSED = {"id": "img3", "sha512": "ef" * 64, "disk_format": "qcow2"}
KERNEL = {"id": "img4", "sha512": "01" * 64, "disk_format": "aki"}


class RecordingDiskImages:
    """qemu-img info as a dict of path -> info; records every file it is asked to open."""

    def __init__(self):
        self.disks, self.opened = {}, []

    def info(self, path: Path, fmt: str) -> dict:
        self.opened.append((Path(path), fmt))
        return dict(self.disks.get(Path(path), {}))


class FakeCompute:
    def __init__(self):
        self.xmls: dict[str, str] = {}

    def domains_marked(self, _stack: str) -> list[str]:
        return list(self.xmls)

    def xml(self, name: str, inactive: bool = False) -> str | None:
        return self.xmls.get(name)


def qcow2_like(path: Path, rest: bytes = b"\0" * 508) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(QCOW2_MAGIC + rest)
    return path


def aged(path: Path, seconds: float = 2 * DAY) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def domain_xml(node: Node, host_id: str, volume: Path) -> str:
    """A domain as hostflow defines it (the console log is the serial's <log file>), with a
    volume attached."""
    xml = build(DomainSpec(name=f"hf-{host_id}", host_id=host_id, operation_id="op", project="p", stack="s",
                           vcpus=1, ram_mb=128, virt_type="qemu", root_disk=str(node.root_disk(host_id)),
                           config_drive=str(node.config_drive(host_id)),
                           console_log=str(node.console_log(host_id)), kernel=str(node.cached_image(KERNEL)),
                           cmdline="console=ttyS0"))
    root = ET.fromstring(xml)
    disk = ET.SubElement(root.find("devices"), "disk", type="file", device="disk")
    ET.SubElement(disk, "source", file=str(volume))
    return ET.tostring(root, encoding="unicode")


@pytest.fixture
def node(tmp_path):
    """h1 runs on BASE, with a console log, config drive and volume that all start with
    qcow2's magic; h2 is mid-rebuild, its old disk (on OLD_BASE) set aside."""
    n = Node("n", tmp_path / "root", FakeCompute(), None, None, "qemu", "s", disk_images=RecordingDiskImages(),
             consoles=None, config_drives=None)
    for image in (BASE, OLD_BASE, UNUSED, KERNEL):
        qcow2_like(n.cached_image(image))
    root_disk = qcow2_like(n.root_disk("h1"))
    n.disk_images.disks[root_disk] = {"full-backing-filename": str(n.cached_image(BASE).resolve())}
    aside = qcow2_like(aside_disk(n, "h2"))
    n.disk_images.disks[aside] = {"full-backing-filename": str(n.cached_image(OLD_BASE).resolve())}
    n.hostile = [qcow2_like(n.console_log("h1"), b"\0\0\0\x03" + b"/etc/shadow\0" * 40),
                 qcow2_like(n.config_drive("h1")), qcow2_like(n.root / "volumes" / "v1.raw"),
                 qcow2_like(n.root / "instances" / "h1" / "disk.tmp.qcow2"),
                 qcow2_like(n.root / "images" / "crashed-0123456789abcdef.qcow2.tmp")]
    for path in n.hostile:
        n.disk_images.disks[path] = {"full-backing-filename": "/etc/shadow"}
    n.compute.xmls["hf-h1"] = domain_xml(n, "h1", n.root / "volumes" / "v1.raw")
    for path in (n.root / "images").iterdir():
        aged(path)
    return n


def opened(node: Node) -> set[Path]:
    assert {fmt for _, fmt in node.disk_images.opened} <= {"qcow2"}
    return {path for path, _ in node.disk_images.opened}


def test_a_console_log_starting_with_qcow2_magic_is_never_opened(node):
    image_cache.clean_image_cache(node, {"max_age_s": DAY})
    assert node.console_log("h1") not in opened(node)
    assert not any(p.name == "console.log" for p in opened(node))


def test_only_root_disks_and_cache_entries_are_opened(node):
    in_use = image_cache.files_in_use(node)
    assert opened(node) == {node.root_disk("h1"), aside_disk(node, "h2"),
                            node.cached_image(BASE).resolve(), node.cached_image(OLD_BASE).resolve()}
    assert not set(node.hostile) & opened(node)
    assert os.path.realpath("/etc/shadow") not in in_use


def test_the_bases_of_root_disks_and_set_aside_disks_are_kept_and_the_rest_freed(node):
    outcome = image_cache.clean_image_cache(node, {"max_age_s": DAY})
    leftover = "crashed-0123456789abcdef.qcow2.tmp"
    assert sorted(outcome.data["freed"]) == sorted([node.cached_image(UNUSED).name, leftover])
    for kept in (BASE, OLD_BASE, KERNEL):
        assert node.cached_image(kept).exists()
    assert all(p.exists() for p in node.hostile if "images" not in p.parts)


def test_a_backing_file_that_is_not_a_node_disk_is_kept_but_not_opened(node):
    """Not the case for a disk hostflow made; should qemu-img say so, the chain stops there."""
    node.disk_images.disks[node.root_disk("h1")] = {"full-backing-filename": str(node.console_log("h1"))}
    in_use = image_cache.files_in_use(node)
    assert os.path.realpath(node.console_log("h1")) in in_use
    assert node.console_log("h1") not in opened(node)


def test_a_root_disk_or_cache_entry_that_is_a_symlink_is_not_opened(node):
    disk = node.root_disk("h3")
    disk.parent.mkdir(parents=True)
    disk.symlink_to(node.console_log("h1"))
    entry = node.root / "images" / "img5-0123456789abcdef.qcow2"
    entry.symlink_to(node.console_log("h1"))
    node.disk_images.disks[node.root_disk("h1")] = {"full-backing-filename": str(entry)}
    image_cache.files_in_use(node)
    assert not {disk, entry, node.console_log("h1")} & opened(node)


def test_an_instance_directory_that_is_a_symlink_is_not_looked_into(node, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    qcow2_like(elsewhere / "disk.qcow2")
    (node.root / "instances" / "h4").symlink_to(elsewhere)
    image_cache.files_in_use(node)
    assert not any(elsewhere in p.parents for p in opened(node))
