"""A stock Debian 12 cloud image, built by set-up (scripts/build-debian-image.sh), run
the way an operator would run theirs: uploaded through the image API with Glance-style
properties, allocated with an SSH key and cloud-init user-data, found up through the QEMU guest agent, and
logged into over SSH from a probe namespace on the guest's bridge.

One guest serves the module (it boots in about a minute under TCG); its tests run in
order: a file is written, the guest is snapshotted live (quiesced by its agent) and
rebuilt from that snapshot, which brings the file back with the host's identity; a
volume is attached, written, detached and attached again, and backed up live; it is
resized live and cold, rebooted cleanly, suspended and resumed (the same boot); its
serial console answers over a WebSocket and in the dashboard's terminal."""
import base64
import json
import os
import re
import time
import uuid

import pytest
import yaml

from tests.e2e.conftest import NOTHING, leftovers, unique_name
from tests.e2e.stock_guest import address_of, host_keys, ssh, wait_disk_link
from tests.e2e.test_backups import read
from tests.e2e.test_images import upload
from tests.e2e.test_power import act


@pytest.fixture(scope="module")
def debian_image(api, manifest):
    """The image uploaded like any user's: POST /v1/images, PUT its file."""
    body = {"name": unique_name("e2e-debian"), "disk_format": manifest["disk_format"], "container_format": "bare",
            "properties": manifest["properties"], "min_disk_gb": 2}
    resp = api.post("/v1/images", body)
    assert resp.status_code == 201, resp.text
    image = resp.json()["image"]
    uploaded = upload(api, image["id"], manifest["dir"] / manifest["file"])
    assert uploaded.status_code == 200, uploaded.text
    yield api.get(f"/v1/images/{image['id']}").json()["image"]
    api.delete(f"/v1/images/{image['id']}")


@pytest.fixture(scope="module")
def user_data_marker() -> str:
    return uuid.uuid4().hex


@pytest.fixture(scope="module")
def guest(api, debian_image, ssh_key, settings, libvirt, user_data_marker):
    """Allocated with cloud-config user-data that writes a file (built with a YAML library,
    base64 as Nova takes it)."""
    user_data = "#cloud-config\n" + yaml.safe_dump(
        {"write_files": [{"path": "/var/tmp/hostflow-user-data", "content": user_data_marker}]})
    accepted = api.allocate(unique_name("e2e-deb"), image=debian_image["id"],
                            flavor={"vcpus": 1, "ram_mb": 768, "disk_gb": 3},
                            ssh_keys=[ssh_key.with_suffix(".pub").read_text().strip()],
                            user_data=base64.b64encode(user_data.encode()).decode())
    op = api.wait(accepted["operation"]["id"], timeout=400)
    host_id = accepted["host"]["id"]
    yield {"op": op, "host": api.get(f"/v1/hosts/{host_id}").json()["host"]}
    reclaim = api.delete(f"/v1/hosts/{host_id}")
    assert api.wait(reclaim.json()["operation"]["id"])["state"] == "succeeded"
    assert leftovers(settings, libvirt, host_id) == NOTHING


def test_the_uploaded_image_is_active_with_its_properties(debian_image, manifest):
    assert debian_image["status"] == "active" and debian_image["os_hash_value"] == manifest["sha512"]
    assert debian_image["properties"]["hw_qemu_guest_agent"] == "yes"


def test_the_guest_is_up_by_its_agent(guest):
    op = guest["op"]
    assert op["state"] == "succeeded", (op["error"], op["steps"])
    wait = next(s for s in op["steps"] if s["name"] == "wait_guest_up")
    assert wait["note"] == "the guest agent reported its state"


def test_ssh_with_the_given_key_reaches_the_guest_by_its_name_and_address(guest, probe, ssh_key, manifest):
    host, user = guest["host"], manifest["default_user"]
    address = host["addresses"][0]["cidr"].split("/")[0]
    assert ssh(probe, ssh_key, user, address, "hostname").strip() == host["name"]
    nics = json.loads(ssh(probe, ssh_key, user, address, "ip -j addr"))
    have = {f"{a['local']}/{a['prefixlen']}" for nic in nics for a in nic["addr_info"] if a["family"] == "inet"}
    assert host["addresses"][0]["cidr"] in have


def test_the_guest_knows_its_fqdn_and_ran_the_given_user_data(guest, probe, ssh_key, manifest, user_data_marker):
    host, user = guest["host"], manifest["default_user"]
    assert ssh(probe, ssh_key, user, address_of(host), "hostname -f").strip() == host["fqdn"].rstrip(".")
    assert ssh(probe, ssh_key, user, address_of(host), "cat /var/tmp/hostflow-user-data").strip() == user_data_marker


@pytest.fixture(scope="module")
def before_snapshot(guest, probe, ssh_key, manifest):
    """A file written and synced in the guest, and its SSH host keys, before the snapshot."""
    marker = uuid.uuid4().hex
    ssh(probe, ssh_key, manifest["default_user"], address_of(guest["host"]),
        f"echo {marker} | sudo tee /var/tmp/hostflow-marker >/dev/null && sync")
    keys = host_keys(probe, address_of(guest["host"]))
    assert keys, "ssh-keyscan found no host key"
    return {"marker": marker, "keys": keys}


@pytest.fixture(scope="module")
def snapshot(api, guest, before_snapshot):
    resp = api.post(f"/v1/hosts/{guest['host']['id']}/snapshot", {"name": unique_name("e2e-debsnap")})
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"], timeout=300)
    image_id = resp.json()["image"]["id"]
    yield {"op": op, "image_id": image_id}
    api.delete(f"/v1/images/{image_id}")


def test_a_live_snapshot_of_a_guest_with_its_agent_is_quiesced(snapshot):
    op = snapshot["op"]
    assert op["state"] == "succeeded", (op["error"], op["steps"])
    assert op["result"]["quiesced"] is True and op["result"]["image"]["status"] == "active"


def test_a_rebuild_from_the_snapshot_brings_back_the_file_with_the_hosts_identity(
        api, guest, snapshot, before_snapshot, probe, ssh_key, manifest):
    host = guest["host"]
    ssh(probe, ssh_key, manifest["default_user"], address_of(host), "sudo rm /var/tmp/hostflow-marker && sync")
    resp = api.post(f"/v1/hosts/{host['id']}/rebuild", {"image": snapshot["image_id"]})
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"], timeout=400)
    assert op["state"] == "succeeded", (op["error"], op["steps"])
    assert next(s for s in op["steps"] if s["name"] == "wait_guest_up")["note"] == "the guest agent reported its state"
    after = api.get(f"/v1/hosts/{host['id']}").json()["host"]
    assert (after["name"], after["addresses"]) == (host["name"], host["addresses"])
    user = manifest["default_user"]
    assert ssh(probe, ssh_key, user, address_of(after), "cat /var/tmp/hostflow-marker").strip() == \
        before_snapshot["marker"]
    assert ssh(probe, ssh_key, user, address_of(after), "hostname").strip() == host["name"]
    assert host_keys(probe, address_of(after)) == before_snapshot["keys"]


@pytest.fixture(scope="module")
def volume(api, guest):
    host = guest["host"]
    resp = api.post("/v1/volumes", {"name": unique_name("e2e-debvol"), "size_gb": 1, "env": "test",
                                    "hypervisor": host["hypervisor"]})
    assert resp.status_code == 202, resp.text
    assert api.wait(resp.json()["operation"]["id"])["state"] == "succeeded"
    volume_id = resp.json()["volume"]["id"]
    name = f"virtio-{volume_id[:20]}"
    yield {"id": volume_id, "name": name, "by_id": f"/dev/disk/by-id/{name}"}
    if api.get(f"/v1/volumes/{volume_id}").json()["volume"]["state"] == "in-use":
        api.wait(api.delete(f"/v1/hosts/{host['id']}/volumes/{volume_id}").json()["operation"]["id"])
    api.wait(api.delete(f"/v1/volumes/{volume_id}").json()["operation"]["id"])


def attach(api, host: dict, volume_id: str) -> dict:
    resp = api.post(f"/v1/hosts/{host['id']}/volumes", {"volume_id": volume_id})
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"])
    assert op["state"] == "succeeded", (op["error"], op["steps"])
    return op


def test_an_attached_volume_is_seen_by_the_agent_and_by_its_serial_in_the_guest(
        api, guest, volume, probe, ssh_key, manifest):
    op = attach(api, guest["host"], volume["id"])
    assert next(s for s in op["steps"] if s["name"] == "wait_volume_visible")["note"] == \
        "the guest agent listed the disk"
    run = lambda command: ssh(probe, ssh_key, manifest["default_user"], address_of(guest["host"]), command)  # noqa: E731
    wait_disk_link(probe, ssh_key, manifest["default_user"], address_of(guest["host"]), volume["by_id"])
    run(f"printf %s {volume['id']} | sudo dd of={volume['by_id']} conv=fsync status=none")


def test_what_was_written_on_the_volume_is_there_after_a_detach_and_an_attach_again(
        api, guest, volume, probe, ssh_key, manifest):
    host = guest["host"]
    detached = api.wait(api.delete(f"/v1/hosts/{host['id']}/volumes/{volume['id']}").json()["operation"]["id"])
    assert detached["state"] == "succeeded", detached["error"]
    run = lambda command: ssh(probe, ssh_key, manifest["default_user"], address_of(host), command)  # noqa: E731
    wait_disk_link(probe, ssh_key, manifest["default_user"], address_of(host), volume["by_id"], present=False)
    attach(api, host, volume["id"])
    wait_disk_link(probe, ssh_key, manifest["default_user"], address_of(host), volume["by_id"])
    assert run(f"sudo head -c {len(volume['id'])} {volume['by_id']}") == volume["id"]


def test_an_attached_volume_is_backed_up_live_quiesced_by_the_agent_and_restores_what_was_written(
        api, settings, guest, volume, probe, ssh_key, manifest):
    run = lambda command: ssh(probe, ssh_key, manifest["default_user"], address_of(guest["host"]), command)  # noqa: E731
    marker = uuid.uuid4().hex
    run(f"printf %s {marker} | sudo dd of={volume['by_id']} bs=1 seek=4096 conv=notrunc,fsync status=none")
    op = api.wait(api.post(f"/v1/volumes/{volume['id']}/backups", {}).json()["operation"]["id"], timeout=300)
    assert op["state"] == "succeeded", (op["error"], op["steps"])
    assert "copied live, quiesced by the guest agent" in next(s["note"] for s in op["steps"]
                                                              if s["name"] == "backup_volume")
    assert api.get(f"/v1/volumes/{volume['id']}").json()["volume"]["state"] == "in-use"
    restore = api.wait(api.post(f"/v1/backups/{op['backup_id']}/restore", {}).json()["operation"]["id"])
    assert restore["state"] == "succeeded", restore["error"]
    restored = api.get(f"/v1/volumes/{restore['volume_id']}").json()["volume"]
    assert read(settings, restored, 0, len(volume["id"])) == volume["id"].encode()
    assert read(settings, restored, 4096, len(marker)) == marker.encode()
    api.wait(api.delete(f"/v1/volumes/{restored['id']}").json()["operation"]["id"])
    api.wait(api.delete(f"/v1/backups/{op['backup_id']}").json()["operation"]["id"])


def resized(api, host: dict, flavor: dict, path: str) -> dict:
    """A resize through the API, succeeded on `path` (live or cold), not yet confirmed."""
    resp = api.post(f"/v1/hosts/{host['id']}/resize", {"flavor": flavor})
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"], timeout=400)
    assert op["state"] == "succeeded", (op["error"], op["steps"])
    assert op["result"]["path"] == path
    return op


def confirm_resize(api, host: dict) -> None:
    confirmed = api.wait(api.post(f"/v1/hosts/{host['id']}/resize/confirm").json()["operation"]["id"])
    assert confirmed["state"] == "succeeded", confirmed["error"]


def mem_total_kb(run) -> int:
    return int(next(line.split()[1] for line in run("cat /proc/meminfo").splitlines() if line.startswith("MemTotal")))


def test_a_live_resize_is_seen_by_the_agent_and_shows_over_ssh(api, guest, probe, ssh_key, manifest):
    """One more vCPU (hot-plugged, brought online through the agent) and a bigger disk,
    live; the memory stays, since more than the definition holds means a restart."""
    host = guest["host"]
    op = resized(api, host, {"vcpus": 2, "ram_mb": 768, "disk_gb": 4}, "live")
    assert "not checked" not in next(s for s in op["steps"] if s["name"] == "wait_guest_sized")["note"]
    run = lambda command: ssh(probe, ssh_key, manifest["default_user"], address_of(host), command)  # noqa: E731
    assert run("nproc").strip() == "2"
    assert run("lsblk --bytes --nodeps --noheadings --output SIZE /dev/vda").strip() == str(4 << 30)
    assert 0.6 * 768 * 1024 <= mem_total_kb(run) <= 768 * 1024
    confirm_resize(api, host)


def test_a_cold_resize_to_more_memory_restarts_the_guest_and_shows_over_ssh(api, guest, probe, ssh_key, manifest):
    """More memory than the definition holds: a clean stop, a new definition, a start."""
    host = guest["host"]
    resized(api, host, {"vcpus": 2, "ram_mb": 1024, "disk_gb": 4}, "cold")
    run = lambda command: ssh(probe, ssh_key, manifest["default_user"], address_of(host), command)  # noqa: E731
    assert 768 * 1024 < mem_total_kb(run) <= 1024 * 1024
    assert run("nproc").strip() == "2"
    confirm_resize(api, host)


def boot_id(probe, ssh_key, manifest, host: dict) -> str:
    run = "cat /proc/sys/kernel/random/boot_id"
    return ssh(probe, ssh_key, manifest["default_user"], address_of(host), run).strip()


def test_a_soft_reboot_shuts_the_guest_down_cleanly_and_boots_it_again(api, guest, probe, ssh_key, manifest):
    host = guest["host"]
    before = boot_id(probe, ssh_key, manifest, host)
    op = act(api, host, "reboot")
    assert next(s for s in op["steps"] if s["name"] == "power_off")["note"] == "shut down"
    assert op["result"]["guest"]["hostname"] == host["name"]
    assert boot_id(probe, ssh_key, manifest, host) != before


def test_suspend_then_resume_keeps_the_same_boot_and_the_agent_answers_after(api, guest, probe, ssh_key, manifest):
    host = guest["host"]
    before = boot_id(probe, ssh_key, manifest, host)
    assert act(api, host, "suspend")["result"]["power_state"] == "suspended"
    resumed = act(api, host, "resume")
    assert next(s for s in resumed["steps"] if s["name"] == "wait_guest_up")["note"] == \
        "the guest agent reported its state"
    assert boot_id(probe, ssh_key, manifest, host) == before


def console_socket(api, host: dict):
    """A WebSocket on the host's serial console, through a fresh single-use token."""
    from simple_websocket import Client

    resp = api.post(f"/v1/hosts/{host['id']}/console/token")
    assert resp.status_code == 201, resp.text
    base = api.url.replace("http://", "ws://", 1)
    return Client.connect(base + resp.json()["websocket"]), resp.json()["token"]


def read_until(ws, wanted: bytes, seconds: float = 30) -> bytes:
    seen, deadline = b"", time.monotonic() + seconds
    while wanted not in seen and time.monotonic() < deadline:
        data = ws.receive(timeout=1)
        if data:
            seen += data.encode() if isinstance(data, str) else data
    return seen


def test_the_serial_console_answers_over_a_websocket_with_a_single_use_token(api, guest):
    ws, token = console_socket(api, guest["host"])
    try:
        ws.send(b"\r")
        assert b"login:" in read_until(ws, b"login:")
    finally:
        ws.close()
    sessions = f"/v1/hosts/{guest['host']['id']}/console/sessions"
    deadline = time.monotonic() + 10
    while (last := api.get(sessions).json()["sessions"][0])["closed"] is None and time.monotonic() < deadline:
        time.sleep(0.2)  # the API ends its side once the socket's close reaches it
    assert last["requester"] == "admin" and last["closed"] is not None
    from simple_websocket import Client, ConnectionClosed

    again = Client.connect(api.url.replace("http://", "ws://", 1) + f"/v1/console/ws?token={token}")
    with pytest.raises(ConnectionClosed):
        again.receive(timeout=5)


def test_the_dashboard_console_shows_the_login_prompt_and_echoes_a_key(api, guest):
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.test_dashboard import CHROMIUM, log_in, ui

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            log_in(page, os.environ["HOSTFLOW_TOKEN"])
            page.goto(ui(f"hosts/{guest['host']['id']}/console"))
            expect(page.locator("#console-status")).to_have_text("connected")
            page.locator("#terminal").click()
            page.keyboard.press("Enter")
            rows = page.locator(".xterm-rows")
            expect(rows).to_contain_text("login:")
            page.keyboard.type("q")
            expect(rows).to_contain_text(re.compile(r"login: q"))
        finally:
            browser.close()
