"""What a host's config drive tells cloud-init (functions.cloud_init), as Nova's does:
keys in meta-data, the user's user-data untouched, hostflow's own settings in
vendor-data, network-config v2; every document parsed back with a YAML library."""
import base64
import gzip

import yaml

from functions import cloud_init
from infra import config_drive

NIC = {"mac": "52:54:00:12:34:56", "cidr": "10.0.0.5/24", "gateway": "10.0.0.1"}
REQ = {"host_id": "h1", "hostname": "web1", "fqdn": "web1.test.example.", "nics": [NIC]}


def parsed(contents: dict, name: str):
    return yaml.safe_load(contents[name])


def test_meta_data_names_the_instance_by_host_id_and_carries_the_keys():
    keys = ["ssh-ed25519 AAAAC3Nza ops: admin # on-call", "ssh-rsa AAAAB3Nza 'quoted' \"too\""]
    meta = parsed(cloud_init.contents({**REQ, "ssh_keys": keys}), "meta-data")
    assert meta == {"instance-id": "h1", "local-hostname": "web1", "public-keys": keys}


def test_no_keys_no_public_keys():
    assert "public-keys" not in parsed(cloud_init.contents(REQ), "meta-data")


def test_user_data_reaches_the_drive_byte_for_byte():
    script = gzip.compress(b"#!/bin/sh\necho hello > /tmp/hello\n")
    drive = cloud_init.contents({**REQ, "user_data": base64.b64encode(script).decode()})
    assert drive["user-data"] == script


def test_without_user_data_the_drive_has_none():
    assert cloud_init.contents(REQ)["user-data"] == b""


def test_vendor_data_sets_the_fqdn_without_its_root_dot():
    drive = cloud_init.contents(REQ)
    assert drive["vendor-data"].startswith(b"#cloud-config\n")
    assert parsed(drive, "vendor-data") == {"hostname": "web1", "fqdn": "web1.test.example", "manage_etc_hosts": True}


def test_a_mac_that_reads_as_a_number_in_yaml_stays_a_string():
    net = parsed(cloud_init.contents(REQ), "network-config")
    assert net["version"] == 2
    assert net["ethernets"]["nic0"]["match"]["macaddress"] == "52:54:00:12:34:56"
    assert net["ethernets"]["nic0"]["gateway4"] == "10.0.0.1"


def test_the_drive_keeps_binary_user_data(tmp_path):
    drive = cloud_init.contents({**REQ, "user_data": base64.b64encode(b"\x1f\x8b\x00\xff").decode()})
    config_drive.write(tmp_path / "config.iso", drive)
    assert config_drive.read(tmp_path / "config.iso") == drive
