"""A host from an ISO: the test guest's live ISO (scripts/build-test-image.sh), uploaded
as an `iso` image like any user's, boots a host from its cdrom beside a blank root disk
of the flavor's size, reports its name and address from the config drive, and is
reclaimed leaving nothing."""
import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.e2e.conftest import NOTHING, leftovers, unique_name
from tests.e2e.test_images import upload


@pytest.fixture(scope="module")
def iso_image(api, settings):
    directory = Path(settings.state_dir) / "images" / "test"
    iso = json.loads((directory / "manifest.json").read_text())["files"]["iso"]
    body = {"name": unique_name("e2e-iso"), "disk_format": "iso", "container_format": "bare",
            "properties": {"hostflow_readiness": "serial"}}
    resp = api.post("/v1/images", body)
    assert resp.status_code == 201, resp.text
    image = resp.json()["image"]
    assert upload(api, image["id"], directory / iso["file"]).status_code == 200
    yield api.get(f"/v1/images/{image['id']}").json()["image"]
    api.delete(f"/v1/images/{image['id']}")


@pytest.fixture(scope="module")
def iso_host(api, iso_image, settings, libvirt):
    accepted = api.allocate(unique_name("e2e-iso"), image=iso_image["id"],
                            flavor={"vcpus": 1, "ram_mb": 256, "disk_gb": 2})
    host_id = accepted["host"]["id"]
    op = api.wait(accepted["operation"]["id"], timeout=300)
    yield {"op": op, "host": api.get(f"/v1/hosts/{host_id}").json()["host"]}
    reclaim = api.delete(f"/v1/hosts/{host_id}")
    assert api.wait(reclaim.json()["operation"]["id"])["state"] == "succeeded"
    assert leftovers(settings, libvirt, host_id) == NOTHING


def test_an_iso_boots_a_host_that_reports_its_name_and_address(iso_host):
    op, host = iso_host["op"], iso_host["host"]
    assert op["state"] == "succeeded", (op["error"], op["steps"])
    assert op["result"]["guest"]["hostname"] == host["name"]
    assert host["addresses"][0]["cidr"] in [a["cidr"] for a in op["result"]["guest"]["addresses"]]


def test_the_iso_is_the_first_boot_device_beside_a_blank_root_disk(iso_host, libvirt):
    root = ET.fromstring(libvirt.xml(f"hf-{iso_host['host']['id']}", inactive=False))
    [cdrom] = root.findall("devices/disk[@device='cdrom']")
    assert cdrom.find("source").get("file").endswith(".iso")
    assert [b.get("dev") for b in root.findall("os/boot")] == ["cdrom", "hd"]
    disk = next(d for d in root.findall("devices/disk[@device='disk']") if d.find("target").get("dev") == "vda")
    info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", disk.find("source").get("file")],
                                     check=True, capture_output=True, text=True).stdout)
    assert "backing-filename" not in info and info["virtual-size"] == 2 << 30
