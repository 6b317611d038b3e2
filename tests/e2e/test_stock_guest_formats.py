"""The stock Debian image in another disk format: converted to VMDK here, uploaded as
a VMDK, converted back to qcow2 by the hypervisor's image cache, and booted to a guest
that its agent reports up and that answers SSH with the host's key and name."""
import subprocess

import pytest

from tests.e2e.conftest import NOTHING, leftovers, unique_name
from tests.e2e.stock_guest import address_of, ssh
from tests.e2e.test_images import upload


@pytest.fixture(scope="module")
def vmdk_image(api, manifest, tmp_path_factory):
    path = tmp_path_factory.mktemp("vmdk") / "debian-12.vmdk"
    subprocess.run(["qemu-img", "convert", "-q", "-f", "qcow2", "-O", "vmdk",
                    str(manifest["dir"] / manifest["file"]), str(path)], check=True)
    body = {"name": unique_name("e2e-debvmdk"), "disk_format": "vmdk", "container_format": "bare",
            "properties": manifest["properties"], "min_disk_gb": 2}
    resp = api.post("/v1/images", body)
    assert resp.status_code == 201, resp.text
    image = resp.json()["image"]
    uploaded = upload(api, image["id"], path)
    assert uploaded.status_code == 200, uploaded.text
    yield api.get(f"/v1/images/{image['id']}").json()["image"]
    api.delete(f"/v1/images/{image['id']}")


def test_a_vmdk_of_the_stock_image_boots_a_host_that_is_up_and_answers_ssh(
        api, vmdk_image, ssh_key, probe, manifest, settings, libvirt):
    assert vmdk_image["status"] == "active" and vmdk_image["disk_format"] == "vmdk"
    accepted = api.allocate(unique_name("e2e-debvmdk"), image=vmdk_image["id"],
                            flavor={"vcpus": 1, "ram_mb": 768, "disk_gb": 3},
                            ssh_keys=[ssh_key.with_suffix(".pub").read_text().strip()])
    host_id = accepted["host"]["id"]
    try:
        op = api.wait(accepted["operation"]["id"], timeout=400)
        assert op["state"] == "succeeded", (op["error"], op["steps"])
        assert next(s for s in op["steps"] if s["name"] == "wait_guest_up")["note"] == \
            "the guest agent reported its state"
        host = api.get(f"/v1/hosts/{host_id}").json()["host"]
        assert ssh(probe, ssh_key, manifest["default_user"], address_of(host), "hostname").strip() == host["name"]
    finally:
        reclaim = api.delete(f"/v1/hosts/{host_id}")
        assert api.wait(reclaim.json()["operation"]["id"])["state"] == "succeeded"
    assert leftovers(settings, libvirt, host_id) == NOTHING
