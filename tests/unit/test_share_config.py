"""What shares become: domain devices, config-drive mount entries, export rules; and the
decisions of the share functions."""
import xml.etree.ElementTree as ET

import yaml

from functions import cloud_init, share_config
from functions.shares import decide_devices, decide_exports, guest_share_mounts
from infra.domain_xml import DomainSpec, Filesystem, build, filesystems, with_filesystems

DATA = {"name": "data", "source": "/srv/shares/data", "mount_point": "/Data/test_share", "read_only": False,
        "mode": "passthrough"}
DOCS = {"name": "docs", "source": "/srv/shares/docs", "mount_point": "/Docs", "read_only": True, "mode": "nfs"}


def spec(**over) -> DomainSpec:
    base = dict(name="hf-h1", host_id="h1", operation_id="op1", project="p", stack="test", vcpus=1, ram_mb=256,
                virt_type="qemu", root_disk="/r/disk.qcow2", config_drive="/r/config.iso", console_log="/r/log")
    return DomainSpec(**{**base, **over})


# --- domain devices --------------------------------------------------------------

def test_no_shares_no_filesystem_and_no_shared_memory():
    root = ET.fromstring(build(spec()))
    assert root.find("devices/filesystem") is None and root.find("memoryBacking") is None


def test_a_9p_share_is_a_mapped_mount_with_its_tag():
    root = ET.fromstring(build(spec(filesystems=(Filesystem("/srv/shares/data", "hfs-data", True),))))
    fs = root.find("devices/filesystem")
    assert fs.get("type") == "mount" and fs.get("accessmode") == "mapped"
    assert fs.find("source").get("dir") == "/srv/shares/data" and fs.find("target").get("dir") == "hfs-data"
    assert fs.find("readonly") is not None and root.find("memoryBacking") is None


def test_virtiofs_needs_its_daemon_and_shared_memory():
    root = ET.fromstring(build(spec(filesystems=(Filesystem("/s", "hfs-s", False, "virtiofs"),))))
    assert root.find("devices/filesystem/driver").get("type") == "virtiofs"
    assert root.find("devices/filesystem/binary").get("path").endswith("virtiofsd")
    assert root.find("memoryBacking/access").get("mode") == "shared"


def test_filesystems_read_back_and_are_replaced_whole():
    wanted = share_config.filesystems([DATA], "virtiofs")
    xml = build(spec(filesystems=(Filesystem("/old", "hfs-old"),)))
    assert filesystems(xml) == [{"source": "/old", "tag": "hfs-old", "read_only": False, "driver": "9p"}]
    replaced = with_filesystems(xml, wanted)
    assert filesystems(replaced) == wanted
    cleared = with_filesystems(replaced, [])
    assert filesystems(cleared) == [] and ET.fromstring(cleared).find("memoryBacking") is None


def test_only_passthrough_shares_are_devices():
    assert [f["tag"] for f in share_config.filesystems([DATA, DOCS], "9p")] == ["hfs-data"]


def test_tags_fit_9p_limit():
    assert share_config.tag("data") == "hfs-data"
    assert len(share_config.tag("x" * 63)) <= 31


# --- config drive ------------------------------------------------------------------

def test_mount_entries_per_mode():
    entries = share_config.mounts([DATA, DOCS], "9p", "10.9.0.1")
    assert entries == [
        ["hfs-data", "/Data/test_share", "9p", "trans=virtio,version=9p2000.L,rw", "0", "0"],
        ["10.9.0.1:/srv/shares/docs", "/Docs", "nfs4", f"{share_config.NFS_OPTIONS},addr=10.9.0.1,ro", "0", "0"],
    ]
    assert share_config.mounts([DATA], "virtiofs")[0][2:4] == ["virtiofs", "rw"]


def test_vendor_data_mounts_are_replaced_not_appended_and_other_keys_kept():
    vendor = cloud_init.cloud_config({"fqdn": "web1.test.example", "manage_etc_hosts": True})
    once = cloud_init.with_mounts(vendor, share_config.mounts([DATA], "9p"))
    assert cloud_init.with_mounts(once, share_config.mounts([DATA], "9p")) == once
    config = yaml.safe_load(once)
    assert config["mounts"][0][:3] == ["hfs-data", "/Data/test_share", "9p"]
    assert config["fqdn"] == "web1.test.example"
    assert cloud_init.with_mounts(once, []) == vendor


def test_config_drive_carries_mounts_only_when_there_are_shares():
    req = {"host_id": "h1", "hostname": "web1", "nics": [], "ssh_keys": []}
    assert cloud_init.contents(req)["vendor-data"] == b""
    with_share = yaml.safe_load(cloud_init.contents({**req, "shares": [DATA]}, "9p")["vendor-data"])
    assert with_share["mounts"] == share_config.mounts([DATA], "9p")


# --- NFS export rules --------------------------------------------------------------

def test_export_rules_grant_the_host_address_its_nfs_shares():
    rules = share_config.export_rules([DATA, DOCS, {**DOCS, "source": "/srv/shares/a", "read_only": False}],
                                      "10.9.0.5")
    assert rules == ("/srv/shares/a 10.9.0.5(rw,sync,no_subtree_check)\n"
                     "/srv/shares/docs 10.9.0.5(ro,sync,no_subtree_check)\n")
    assert share_config.export_rules([DATA], "10.9.0.5") == ""


def test_share_address_prefers_the_share_network():
    nets = [{"name": "vm", "traffic_class": "vm"}, {"name": "sh", "traffic_class": "share"}]
    addrs = [{"network": "vm", "address": "10.0.0.5"}, {"network": "sh", "address": "10.9.0.5"}]
    assert share_config.share_address(addrs, nets) == "10.9.0.5"
    assert share_config.share_address(addrs[:1], nets) == "10.0.0.5"
    assert share_config.share_address([], nets) is None


# --- decisions -----------------------------------------------------------------------

FS = share_config.filesystems([DATA], "9p")


def test_devices_already_as_wanted_and_mounted_is_nothing_to_do():
    assert decide_devices("running", FS, FS, ["/Data/test_share"], ["/Data/test_share"]).noop


def test_devices_changed_on_a_running_guest_restart_it():
    assert decide_devices("running", [], FS, [], ["/Data/test_share"]).action == "restart"
    assert decide_devices("running", FS, FS, [], ["/Data/test_share"]).action == "restart"


def test_a_stopped_guest_is_only_redefined():
    assert decide_devices("shutoff", [], FS, [], ["/Data/test_share"]).action == "redefine"
    assert decide_devices("shutoff", FS, FS, [], ["/Data/test_share"]).noop
    assert decide_devices("absent", [], FS, [], []).action == "conflict"


def test_guest_share_mounts_ignore_other_filesystems():
    state = {"mounts": [{"target": "/", "fstype": "ext4"}, {"target": "/D", "fstype": "virtiofs"},
                        {"target": "/N", "fstype": "nfs4"}]}
    assert guest_share_mounts(state) == ["/D", "/N"] and guest_share_mounts(None) == []


def test_export_decisions():
    assert decide_exports(None, "").noop and decide_exports("a\n", "a\n").noop
    assert decide_exports(None, "a\n").detail == "create" and decide_exports("a\n", "b\n").detail == "rewrite"
    assert decide_exports("a\n", "").action == "remove"


def test_an_export_is_granted_before_the_guest_mounts_it_and_withdrawn_after():
    from flows.shares import ATTACH, DETACH

    assert [s.name for s in ATTACH] == ["ensure_share_exports", "ensure_share_mounts", "apply_share_devices",
                                        "wait_guest_mounts"]
    assert [s.name for s in DETACH] == ["ensure_share_mounts", "apply_share_devices", "wait_guest_mounts",
                                        "ensure_share_exports"]
    assert all(s.undo for s in ATTACH if s.name != "wait_guest_mounts")
