"""The hypervisor functions against real libvirtd and a QEMU TCG guest."""
import uuid

import pytest

from functions import compute, disks, images
from infra import console, qemu_img
from infra.domain_xml import domain_name
from infra.errors import ImageError

GIB = 1 << 30


def requests(test_image: dict, host_id: str, name: str, address: str) -> dict:
    mac = "52:54:00:7e:{:02x}:{:02x}".format(int(address.split(".")[-1]), len(name))
    nic = {"mac": mac, "cidr": f"{address}/24", "gateway": None}
    boot = {"kernel": test_image["aki"], "ramdisk": test_image["ari"], "cmdline": test_image["cmdline"]}
    return {
        "images": {"images": [test_image["ami"], test_image["aki"], test_image["ari"]]},
        "disk": {"host_id": host_id, "base": test_image["ami"], "disk_gb": 2},
        "drive": {"host_id": host_id, "hostname": name, "nics": [nic], "ssh_keys": []},
        "domain": {"host_id": host_id, "operation_id": "op-it", "project": "it", "vcpus": 2, "ram_mb": 256,
                   "nics": [{"mac": mac, "bridge": "hfbr-itest"}], "boot": boot},
        "host": {"host_id": host_id},
        "wait": {"host_id": host_id, "hostname": name, "addresses": [f"{address}/24"]},
    }


def bring_up(node, req) -> dict:
    outcomes = {}
    outcomes["images"] = images.ensure_image_cached(node, req["images"])
    outcomes["disk"] = disks.ensure_root_disk(node, req["disk"])
    outcomes["drive"] = disks.ensure_config_drive(node, req["drive"])
    outcomes["defined"] = compute.ensure_domain_defined(node, req["domain"])
    outcomes["running"] = compute.ensure_running(node, req["domain"])
    outcomes["up"] = compute.wait_guest_up(node, req["wait"])
    return outcomes


@pytest.fixture(scope="module")
def guest(node, test_image):
    """Starts from a cold image cache: other modules' guests on this node may have warmed it."""
    host_id = str(uuid.uuid4())
    req = requests(test_image, host_id, "it-guest", "10.213.9.10")
    for image in req["images"]["images"]:
        node.cached_image(image).unlink(missing_ok=True)
    outcomes = bring_up(node, req)
    yield {"req": req, "outcomes": outcomes, "host_id": host_id}
    compute.ensure_undefined(node, req["host"])
    disks.delete_instance_files(node, req["host"])


def test_first_run_changes_every_step(guest):
    assert all(o.changed for k, o in guest["outcomes"].items() if k != "up")


def test_guest_reports_requested_hostname_and_address(node, guest):
    state = console.latest(node.console_log(guest["host_id"]))
    assert state["hostname"] == "it-guest"
    assert "10.213.9.10/24" in [a["cidr"] for a in state["addresses"]]


def test_guest_has_the_flavor_vcpus_and_memory(node, guest):
    state = console.latest(node.console_log(guest["host_id"]))
    assert state["vcpus"] == 2
    assert 180_000 < state["mem_kb"] <= 256 * 1024


def test_root_disk_is_an_overlay_grown_to_the_flavor(node, guest):
    info = qemu_img.info(node.root_disk(guest["host_id"]), "qcow2")
    assert info["virtual-size"] == 2 * GIB
    assert info["backing-filename"] == str(node.cached_image(guest["req"]["disk"]["base"]))


def test_guest_sees_its_root_disk_size(node, guest):
    state = console.latest(node.console_log(guest["host_id"]))
    vda = next(b for b in state["blocks"] if b["name"] == "vda")
    assert vda["size_bytes"] == 2 * GIB


def test_domain_carries_hostflow_marks(node, guest):
    marks = node.compute.marks(domain_name(guest["host_id"]))
    assert marks["host"] == guest["host_id"] and marks["operation"] == "op-it" and marks["stack"] == "hostflow-test"


@pytest.mark.parametrize("step", ["images", "disk", "drive", "defined", "running", "up"])
def test_second_run_is_already_done(node, guest, step):
    req = guest["req"]
    again = {
        "images": lambda: images.ensure_image_cached(node, req["images"]),
        "disk": lambda: disks.ensure_root_disk(node, req["disk"]),
        "drive": lambda: disks.ensure_config_drive(node, req["drive"]),
        "defined": lambda: compute.ensure_domain_defined(node, req["domain"]),
        "running": lambda: compute.ensure_running(node, req["domain"]),
        "up": lambda: compute.wait_guest_up(node, req["wait"]),
    }[step]()
    assert not again.changed


def test_image_with_bad_checksum_leaves_no_cache_entry(node, test_image):
    bad = {**test_image["ari"], "id": "bad-ari", "sha512": "0" * 128}
    with pytest.raises(ImageError) as info:
        images.ensure_image_cached(node, {"images": [bad]})
    assert info.value.code == "image_checksum_mismatch"
    assert not node.cached_image(bad).exists()
    assert not list((node.root / "images").glob("bad-ari*"))


def test_reclaim_functions_remove_everything_and_are_idempotent(node, test_image):
    host_id = str(uuid.uuid4())
    req = requests(test_image, host_id, "it-reclaim", "10.213.9.11")
    bring_up(node, req)
    name = domain_name(host_id)
    stopped = compute.ensure_stopped(node, req["host"])
    assert stopped.changed and stopped.note == "shutdown"
    assert node.compute.state(name) == "shutoff"
    assert compute.ensure_undefined(node, req["host"]).changed
    assert node.compute.state(name) == "absent"
    assert disks.delete_instance_files(node, req["host"]).changed
    assert not node.instance_dir(host_id).exists()
    assert not compute.ensure_stopped(node, req["host"]).changed
    assert not compute.ensure_undefined(node, req["host"]).changed
    assert not disks.delete_instance_files(node, req["host"]).changed
