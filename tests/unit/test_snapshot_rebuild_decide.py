"""Snapshot and rebuild decide steps as data, and the `<os>` edit of a definition."""
import xml.etree.ElementTree as ET

import pytest

from functions.rebuild import decide_aside, decide_boot, decide_restore
from functions.snapshots import decide_snapshot, decide_upload
from infra import domain_boot, domain_xml
from infra.domain_xml import DomainSpec, Nic

KERNEL = {"kernel": "/img/k.aki", "initrd": "/img/r.ari", "cmdline": "console=ttyS0 root=/dev/vda"}
DISK_BOOT = {"kernel": None, "initrd": None, "cmdline": None}


@pytest.mark.parametrize("present, state, action", [
    (True, "running", "none"), (True, "absent", "none"),
    (False, "running", "block_copy"), (False, "paused", "block_copy"),
    (False, "shutoff", "convert"), (False, "absent", "conflict"),
])
def test_decide_snapshot(present, state, action):
    assert decide_snapshot(present, state).action == action


@pytest.mark.parametrize("stored, local, action", [
    ("a", "a", "none"), ("a", None, "none"), (None, "a", "upload"), ("a", "b", "upload"), (None, None, "conflict"),
])
def test_decide_upload(stored, local, action):
    assert decide_upload(stored, local).action == action


@pytest.mark.parametrize("disk, aside, action", [
    (True, False, "rename"), (False, True, "none"), (True, True, "none"), (False, False, "conflict"),
])
def test_decide_aside(disk, aside, action):
    assert decide_aside(disk, aside).action == action


@pytest.mark.parametrize("disk, aside, action", [
    (True, True, "restore"), (False, True, "restore"), (True, False, "none"), (False, False, "none"),
])
def test_decide_restore(disk, aside, action):
    assert decide_restore(disk, aside).action == action


def test_decide_boot():
    assert decide_boot(KERNEL, dict(KERNEL)).noop
    assert decide_boot(KERNEL, DISK_BOOT).action == "edit"
    assert decide_boot(DISK_BOOT, {**KERNEL, "cmdline": "quiet"}).action == "edit"


def definition(**boot) -> str:
    spec = DomainSpec(name="hf-h1", host_id="h1", operation_id="op", project="p", stack="s", vcpus=1, ram_mb=256,
                      virt_type="qemu", root_disk="/i/disk.qcow2", config_drive="/i/config.iso",
                      console_log="/i/console.log", nics=(Nic("52:54:00:00:00:01", "br0"),), **boot)
    return domain_xml.build(spec)


def test_read_boot_of_a_direct_kernel_boot_and_a_disk_boot():
    xml = definition(kernel=KERNEL["kernel"], ramdisk=KERNEL["initrd"], cmdline=KERNEL["cmdline"])
    assert domain_boot.read_boot(xml) == KERNEL
    assert domain_boot.read_boot(definition()) == DISK_BOOT


@pytest.mark.parametrize("start, wanted", [({}, KERNEL), ({"kernel": "/old/k", "cmdline": "x"}, KERNEL),
                                           ({"kernel": "/old/k"}, DISK_BOOT)])
def test_with_boot_changes_only_the_boot_part(start, wanted):
    before = definition(**start)
    after = domain_boot.with_boot(before, wanted)
    assert domain_boot.read_boot(after) == wanted
    assert domain_xml.read_metadata(after) == domain_xml.read_metadata(before)
    assert _without_os(after) == _without_os(before)
    assert ('<boot dev="hd" />' in after) == (wanted["kernel"] is None)


def _without_os(xml: str) -> str:
    root = ET.fromstring(xml)
    root.remove(root.find("os"))
    return ET.tostring(root, encoding="unicode")
