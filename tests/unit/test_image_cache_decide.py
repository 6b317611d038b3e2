"""The image cache's decide steps, as data: what is fetched, converted, kept, cleaned."""
from pathlib import Path

import pytest

from functions.image_cache import CacheEntry, decide_clean, files_in_domain
from functions.images import decide_cached
from functions.node import Node
from infra.domain_xml import DomainSpec, build

DAY = 86400
NOW = 1_000_000_000.0


def entry(name: str, age: float, size: int = 100) -> CacheEntry:
    return CacheEntry(f"/n/images/{name}", size, NOW - age)


@pytest.mark.parametrize("fmt", ["raw", "ami", "vmdk", "vdi", "vhd", "vhdx"])
def test_disk_formats_other_than_qcow2_are_converted_once(fmt):
    assert decide_cached(False, fmt).action == "fetch_convert"
    assert decide_cached(True, fmt).noop


@pytest.mark.parametrize("fmt", ["qcow2", "aki", "ari", "iso"])
def test_qcow2_kernels_ramdisks_and_isos_are_cached_as_they_are(fmt):
    assert decide_cached(False, fmt).action == "fetch"


def test_converted_images_are_cached_under_a_qcow2_name_keyed_by_id_and_hash():
    node = Node("n", root=Path("/n"), compute=None, images=None, netlink=None, virt_type="qemu", stack="s",
                disk_images=None, consoles=None, config_drives=None)
    ref = {"id": "img1", "sha512": "ab" * 64, "location": "/x"}
    assert node.cached_image({**ref, "disk_format": "vmdk"}).name == "img1-abababababababab.qcow2"
    assert node.cached_image({**ref, "disk_format": "aki"}).name == "img1-abababababababab.aki"
    assert node.cached_image({**ref, "sha512": "cd" * 64, "disk_format": "vmdk"}).name.startswith("img1-cdcd")


def test_an_old_unused_entry_is_cleaned():
    old = entry("a.qcow2", 2 * DAY)
    assert decide_clean([old], set(), NOW, DAY) == [old]


def test_an_entry_in_use_is_kept_whatever_its_age():
    old = entry("a.qcow2", 365 * DAY)
    assert decide_clean([old], {old.path}, NOW, DAY) == []


def test_a_recent_entry_is_kept():
    assert decide_clean([entry("a.qcow2", DAY - 1)], set(), NOW, DAY) == []


def test_only_the_old_unused_entries_of_a_mixed_cache_go():
    used, recent, stale, leftover = (entry("used.qcow2", 9 * DAY), entry("recent.qcow2", 60),
                                     entry("stale.qcow2", 3 * DAY), entry("x.qcow2.part", 2 * DAY))
    assert decide_clean([used, recent, stale, leftover], {used.path}, NOW, DAY) == [stale, leftover]


def test_an_empty_cache_has_nothing_to_clean():
    assert decide_clean([], {"/n/images/a"}, NOW, DAY) == []


def test_domain_files_include_kernel_initrd_and_disks():
    xml = build(DomainSpec(name="hf-h1", host_id="h1", operation_id="op", project="p", stack="s", vcpus=1,
                           ram_mb=128, virt_type="qemu", root_disk="/n/instances/h1/disk.qcow2",
                           config_drive="/n/instances/h1/config.iso", console_log="/n/instances/h1/console.log",
                           kernel="/n/images/k.aki", ramdisk="/n/images/r.ari", cmdline="console=ttyS0"))
    files = files_in_domain(xml)
    assert {"/n/images/k.aki", "/n/images/r.ari", "/n/instances/h1/disk.qcow2",
            "/n/instances/h1/config.iso"} <= files


def test_domain_files_include_backing_stores_and_mirrors_of_a_live_definition():
    xml = """<domain><os><type>hvm</type></os><devices><disk type='file'>
      <source file='/n/instances/h/disk.qcow2'/>
      <backingStore type='file'><source file='/n/images/base.qcow2'/></backingStore>
      <mirror type='file' file='/n/instances/h/copy.qcow2'/></disk></devices></domain>"""
    assert files_in_domain(xml) == {"/n/instances/h/disk.qcow2", "/n/images/base.qcow2",
                                    "/n/instances/h/copy.qcow2"}


def test_a_domain_booting_from_its_disk_names_no_kernel():
    xml = "<domain><os><type>hvm</type><boot dev='hd'/></os><devices/></domain>"
    assert files_in_domain(xml) == set()
