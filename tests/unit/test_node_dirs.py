"""A node's directories are QEMU's group's (setgid 2750), up to its root and no
further; a dir pool's directory is 0750 for that group (functions.node.Node.make_dir,
infra.libvirt_storage.pool_xml, operations.bootstrap.qemu_gid)."""
import dataclasses
import os
import stat
import xml.etree.ElementTree as ET

import pytest

from functions.node import Node
from infra.errors import Invalid
from infra.libvirt_storage import PoolSpec, pool_xml
from infra.settings import Settings
from operations.bootstrap import qemu_gid

GID = os.getgid()


def node(root, gid):
    return Node("n", root, None, None, None, "qemu", "s", disk_images=None, consoles=None, config_drives=None,
                qemu_gid=gid)


def test_every_directory_made_up_to_the_root_is_the_groups_setgid_and_closed_to_others(tmp_path):
    root = tmp_path / "nodes" / "n"
    node(root, GID).make_dir(root / "instances" / "h1")
    for d in (root, root / "instances", root / "instances" / "h1"):
        st = d.stat()
        assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o2750, GID), d


def test_the_directory_above_the_root_is_left_as_it_was(tmp_path):
    above = tmp_path / "nodes"
    above.mkdir(mode=0o700)
    node(above / "n", GID).make_dir(above / "n" / "images")
    assert stat.S_IMODE(above.stat().st_mode) == 0o700


def test_a_directory_already_made_is_made_the_groups_again(tmp_path):
    root = tmp_path / "n"
    (root / "images").mkdir(parents=True, mode=0o755)
    node(root, GID).make_dir(root / "images")
    assert stat.S_IMODE((root / "images").stat().st_mode) == 0o2750


def test_without_a_group_directories_are_0755(tmp_path):
    node(tmp_path / "n", None).make_dir(tmp_path / "n" / "images")
    assert stat.S_IMODE((tmp_path / "n" / "images").stat().st_mode) == 0o755


def test_a_dir_pool_is_the_groups_and_0750(tmp_path):
    perms = ET.fromstring(pool_xml("p", PoolSpec("dir", tmp_path, gid=GID))).find("target/permissions")
    assert (perms.findtext("mode"), perms.findtext("group")) == ("0750", str(GID))


def test_an_unknown_qemu_group_is_a_clear_error():
    settings = dataclasses.replace(Settings(), qemu_group="no-such-group-here")
    with pytest.raises(Invalid) as info:
        qemu_gid(settings)
    assert info.value.code == "qemu_group_unknown"
    assert "qemu.conf" in str(info.value)


def test_no_qemu_group_means_none():
    assert qemu_gid(dataclasses.replace(Settings(), qemu_group="")) is None
