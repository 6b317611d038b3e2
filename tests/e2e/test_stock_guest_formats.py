"""The stock Debian image in Glance's other disk formats: converted here to VMDK, VDI,
VHD and VHDX, uploaded as such, converted back to qcow2 by the hypervisor's image cache,
and each booted to a guest that its agent reports up and that answers SSH with the
host's key and name; the VHD one is told to prove it is up by phoning home (cloud-init's
per-boot script posting to the stack's endpoint on the VM gateway) instead. The four
hosts boot side by side; two of them then pass a volume from one to the other."""
import subprocess
import uuid

import pytest

from tests.e2e.conftest import NOTHING, leftovers, unique_name
from tests.e2e.stock_guest import address_of, ssh, wait_disk_link
from tests.e2e.test_images import upload

FORMATS = {"vmdk": "vmdk", "vdi": "vdi", "vhd": "vpc", "vhdx": "vhdx"}  # Glance's name: qemu-img's
BOOT_TIMEOUT = 480  # four TCG guests booting at once on two cores: the image says it boots slowly
PHONES_HOME = "vhd"  # this one is told to prove itself by phoning home, not by its agent
NOTES = {"agent": "the guest agent reported its state", "phone_home": "the guest phoned home"}


def converted_image(api, manifest, directory, disk_format: str) -> dict:
    path = directory / f"debian-12.{disk_format}"
    subprocess.run(["qemu-img", "convert", "-q", "-f", "qcow2", "-O", FORMATS[disk_format],
                    str(manifest["dir"] / manifest["file"]), str(path)], check=True)
    body = {"name": unique_name(f"e2e-deb{disk_format}"), "disk_format": disk_format, "container_format": "bare",
            "properties": {**manifest["properties"], "hostflow_boot_timeout": str(BOOT_TIMEOUT),
                           **({"hostflow_readiness": "phone_home"} if disk_format == PHONES_HOME else {})},
            "min_disk_gb": 2}
    resp = api.post("/v1/images", body)
    assert resp.status_code == 201, resp.text
    image = resp.json()["image"]
    uploaded = upload(api, image["id"], path)
    assert uploaded.status_code == 200, uploaded.text
    path.unlink()
    return api.get(f"/v1/images/{image['id']}").json()["image"]


@pytest.fixture(scope="module")
def booted(api, manifest, ssh_key, settings, libvirt, tmp_path_factory):
    """disk format -> {"image", "op", "host"}: every host allocated before any is waited for."""
    directory = tmp_path_factory.mktemp("formats")
    images = {fmt: converted_image(api, manifest, directory, fmt) for fmt in FORMATS}
    key = ssh_key.with_suffix(".pub").read_text().strip()
    accepted = {fmt: api.allocate(unique_name(f"e2e-deb{fmt}"), image=image["id"], ssh_keys=[key],
                                  flavor={"vcpus": 1, "ram_mb": 768, "disk_gb": 3})
                for fmt, image in images.items()}
    found = {}
    for fmt, acc in accepted.items():
        op = api.wait(acc["operation"]["id"], timeout=600)
        found[fmt] = {"image": images[fmt], "op": op, "host": api.get(f"/v1/hosts/{acc['host']['id']}").json()["host"]}
    yield found
    for acc in accepted.values():
        reclaim = api.delete(f"/v1/hosts/{acc['host']['id']}")
        assert api.wait(reclaim.json()["operation"]["id"])["state"] == "succeeded"
        assert leftovers(settings, libvirt, acc["host"]["id"]) == NOTHING
    for image in images.values():
        api.delete(f"/v1/images/{image['id']}")


@pytest.mark.parametrize("disk_format", FORMATS)
def test_the_stock_image_in_another_format_boots_a_host_that_is_up_and_answers_ssh(
        booted, disk_format, probe, ssh_key, manifest):
    image, op, host = booted[disk_format]["image"], booted[disk_format]["op"], booted[disk_format]["host"]
    assert image["status"] == "active" and image["disk_format"] == disk_format
    assert op["state"] == "succeeded", (op["error"], op["steps"])
    how = "phone_home" if disk_format == PHONES_HOME else "agent"
    assert next(s for s in op["steps"] if s["name"] == "wait_guest_up")["note"] == NOTES[how]
    assert op["result"]["guest"]["readiness"] == how
    assert ssh(probe, ssh_key, manifest["default_user"], address_of(host), "hostname").strip() == host["name"]


def test_a_volume_written_in_one_guest_is_read_back_in_another(api, booted, probe, ssh_key, manifest):
    """Two of the hosts on one node (four hosts on two nodes: there always are two)."""
    by_node: dict[str, list[dict]] = {}
    for found in booted.values():
        by_node.setdefault(found["host"]["hypervisor"], []).append(found["host"])
    first, second = next(hosts for hosts in by_node.values() if len(hosts) >= 2)[:2]
    resp = api.post("/v1/volumes", {"name": unique_name("e2e-debvol"), "size_gb": 1, "env": "test",
                                    "hypervisor": first["hypervisor"]})
    assert api.wait(resp.json()["operation"]["id"])["state"] == "succeeded"
    volume_id = resp.json()["volume"]["id"]
    device, marker = f"/dev/disk/by-id/virtio-{volume_id[:20]}", uuid.uuid4().hex
    try:
        attached(api, first, volume_id)
        wait_disk_link(probe, ssh_key, manifest["default_user"], address_of(first), device)
        ssh(probe, ssh_key, manifest["default_user"], address_of(first),
            f"printf %s {marker} | sudo dd of={device} conv=fsync status=none")
        detached = api.wait(api.delete(f"/v1/hosts/{first['id']}/volumes/{volume_id}").json()["operation"]["id"])
        assert detached["state"] == "succeeded", detached["error"]
        attached(api, second, volume_id)
        wait_disk_link(probe, ssh_key, manifest["default_user"], address_of(second), device)
        read = ssh(probe, ssh_key, manifest["default_user"], address_of(second), f"sudo head -c 32 {device}")
        assert read == marker
    finally:
        volume = api.get(f"/v1/volumes/{volume_id}").json()["volume"]
        if volume["state"] == "in-use":
            api.wait(api.delete(f"/v1/hosts/{volume['host_id']}/volumes/{volume_id}").json()["operation"]["id"])
        api.wait(api.delete(f"/v1/volumes/{volume_id}").json()["operation"]["id"])


def attached(api, host: dict, volume_id: str) -> None:
    op = api.wait(api.post(f"/v1/hosts/{host['id']}/volumes", {"volume_id": volume_id}).json()["operation"]["id"])
    assert op["state"] == "succeeded", (op["error"], op["steps"])
