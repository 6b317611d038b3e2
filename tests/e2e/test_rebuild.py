"""Snapshot and rebuild through the API, proven in the guest: its state line reports
the marker bytes at 512 MiB of its root disk. One host serves the module: marker A,
a live snapshot, marker B, a rebuild whose guest never comes up (back on B), then the
rebuild from the snapshot (A again)."""
import os
import subprocess
import time
import uuid

import pytest

from flows.runner import run_operation
from infra import console, domain_boot, qemu_img
from infra.image_source import sha512_of
from infra.object_store import parse_location
from infra.queue import RqDispatcher
from operations.bootstrap import api_services, object_store
from operations.origin import Origin
from operations.requests import RebuildHost, SnapshotHost
from operations.snapshots import submit_rebuild, submit_snapshot
from tests.e2e.conftest import recorded_within, unique_name
from tests.e2e.test_faults import FailAt
from tests.fakes import RecordingQueue

MARKER_OFFSET = 512 << 20
MARKER_A, MARKER_B = "marker-A.first", "marker-B.second"


@pytest.fixture(scope="module")
def services(settings):
    return api_services(settings)


class Guest:
    """The host's files on its hypervisor, and its guest as the serial console reports it."""

    def __init__(self, settings, libvirt, host: dict):
        self.libvirt, self.host, self.domain = libvirt, host, f"hf-{host['id']}"
        self.node_root = settings.state_dir / "nodes" / host["hypervisor"]
        self.dir = self.node_root / "instances" / host["id"]
        self.disk, self.log = self.dir / "disk.qcow2", self.dir / "console.log"

    def marker(self) -> str | None:
        state = console.latest(self.log)
        return None if state is None else state.get("marker")

    def wait_marker(self, wanted: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.marker() == wanted:
                return
            time.sleep(0.2)
        raise AssertionError(f"guest reports marker {self.marker()!r}, not {wanted!r}: {console.tail(self.log, 5)}")

    def write_marker(self, text: str, tmp_path) -> None:
        """With the domain stopped: 512 bytes (the marker, then zeros) at 512 MiB of the root disk."""
        data = tmp_path / "marker"
        data.write_bytes(text.encode().ljust(512, b"\0"))
        self.libvirt.destroy(self.domain)
        subprocess.run(["qemu-io", "-f", "qcow2", "-c", f"write -s {data} {MARKER_OFFSET} 512", str(self.disk)],
                       check=True, capture_output=True)
        self.libvirt.start(self.domain)
        self.wait_marker(text)

    def boot(self) -> dict:
        return domain_boot.read_boot(self.libvirt.xml(self.domain))


@pytest.fixture(scope="module")
def made_images(api, settings):
    """Images this module made, forgotten after the host that may boot from them is gone."""
    made: list[dict] = []
    yield made
    for image in made:
        _forget_image(api, settings, image)


@pytest.fixture(scope="module")
def host(api, settings, libvirt, made_images):
    accepted = api.allocate(unique_name("e2e-rebuild"))
    op = api.wait(accepted["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    record = api.get(f"/v1/hosts/{accepted['host']['id']}").json()["host"]
    yield Guest(settings, libvirt, record)
    api.wait(api.delete(f"/v1/hosts/{record['id']}").json()["operation"]["id"])


@pytest.fixture(scope="module")
def snapshot(api, host, made_images, tmp_path_factory):
    host.write_marker(MARKER_A, tmp_path_factory.mktemp("a"))
    backing = qemu_img.info(host.disk, "qcow2")["backing-filename"]
    resp = api.post(f"/v1/hosts/{host.host['id']}/snapshot", {"name": unique_name("e2e-snap")}, key=str(uuid.uuid4()))
    assert resp.status_code == 202, resp.text
    assert api.get(f"/v1/hosts/{host.host['id']}").json()["host"]["state"] == "snapshotting"
    op = api.wait(resp.json()["operation"]["id"])
    image = api.get(f"/v1/images/{resp.json()['image']['id']}").json()["image"]
    made_images.append(image)
    return {"op": op, "image": image, "backing": backing}


def _forget_image(api, settings, image: dict) -> None:
    """The snapshot image (once the host that booted from it is gone), its object and its
    hypervisor cache entries: what this module made."""
    api.delete(f"/v1/images/{image['id']}")
    if image.get("location"):
        bucket, key = parse_location(image["location"])
        object_store(settings).delete(bucket, key)
    for path in (settings.state_dir / "nodes").glob(f"*/images/{image['id']}-*"):
        path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def marker_b(host, snapshot, tmp_path_factory):
    host.write_marker(MARKER_B, tmp_path_factory.mktemp("b"))
    return MARKER_B


def test_snapshot_of_the_running_host_is_an_active_flat_image(api, settings, host, snapshot, tmp_path):
    op, image = snapshot["op"], snapshot["image"]
    assert op["state"] == "succeeded", op["error"]
    copy = next(s for s in op["steps"] if s["name"] == "snapshot_root_disk")
    assert copy["note"] == "block_copy" and copy["progress"]["done_bytes"] == copy["progress"]["total_bytes"]
    assert image["status"] == "active" and image["disk_format"] == "qcow2"
    assert image["properties"]["source_host_id"] == host.host["id"]
    assert image["kernel_id"] and image["ramdisk_id"] and image["properties"]["os_command_line"]
    bucket, key = parse_location(image["location"])
    assert bucket == settings.snapshot_bucket  # the bucket nodes may write, never the image bucket
    local = tmp_path / "snapshot.qcow2"
    object_store(settings).download_file(bucket, key, local)
    assert sha512_of(local) == image["os_hash_value"] and local.stat().st_size == image["size"]
    info = qemu_img.info(local, "qcow2")
    assert "backing-filename" not in info and info["virtual-size"] == 1 << 30


def test_snapshot_leaves_the_host_running_on_its_own_disk_chain(api, host, snapshot):
    assert api.get(f"/v1/hosts/{host.host['id']}").json()["host"]["state"] == "active"
    assert host.libvirt.state(host.domain) == "running"
    assert qemu_img.info(host.disk, "qcow2")["backing-filename"] == snapshot["backing"]
    assert [d["source"] for d in host.libvirt.disks(host.domain, live=True) if d["target"] == "vda"] == [str(host.disk)]
    assert not list((host.node_root / "snapshots").glob(f"{snapshot['image']['id']}*"))
    assert host.marker() == MARKER_A


class FailAtStep(FailAt):
    """FailAt, passing on what the engine adds for steps that report progress."""

    def run(self, queue, job_id, function, request, reuse=True, mode="do", **kw):
        if function == self.function and not job_id.endswith("_undo"):
            return super().run(queue, job_id, function, request, reuse, mode)
        return self.inner.run(queue, job_id, function, request, reuse=reuse, mode=mode, **kw)


def test_failed_snapshot_kills_its_image_and_leaves_no_object_or_file(
        services, settings, host, snapshot, made_images, monkeypatch):
    monkeypatch.setattr(services, "queue", RecordingQueue())  # recorded, run here
    op = submit_snapshot(services, host.host["id"], SnapshotHost(name=unique_name("e2e-snap")), Origin("test", "test"))
    image_id = op["params"]["image_id"]
    made_images.append(services.images.get(image_id))
    dispatcher = FailAtStep(RqDispatcher(services.redis, settings.step_timeout), "delete_snapshot_file")
    run_operation(op["id"], settings, dispatcher=dispatcher)

    final = services.operations.get(op["id"])
    assert final["state"] == "rolled_back" and final["error"]["code"] == "injected_fault"
    image = services.images.get(image_id)
    assert image["status"] == "killed" and "injected fault" in image["status_reason"]
    assert object_store(settings).head(settings.image_bucket, f"images/{image_id}") is None
    assert not list((host.node_root / "snapshots").glob(f"{image_id}*"))
    assert services.hosts.get(host.host["id"])["state"] == "active"
    assert host.libvirt.state(host.domain) == "running"


def test_rebuild_whose_guest_never_comes_up_runs_the_host_on_its_old_disk(
        api, services, settings, host, snapshot, marker_b, monkeypatch):
    before = {"boot": host.boot(), "backing": qemu_img.info(host.disk, "qcow2")["backing-filename"],
              "record": services.hosts.get(host.host["id"])}
    monkeypatch.setattr(services, "queue", RecordingQueue())  # recorded, run here
    op = submit_rebuild(services, host.host["id"], RebuildHost(image=snapshot["image"]["id"]), Origin("test", "test"))
    dispatcher = FailAt(RqDispatcher(services.redis, settings.step_timeout), "wait_guest_up")
    run_operation(op["id"], settings, dispatcher=dispatcher)

    final = services.operations.get(op["id"])
    assert final["state"] == "rolled_back" and final["error"]["code"] == "injected_fault"
    undone = {s["name"] for s in final["steps"] if s["direction"] == "undo" and s["state"] == "succeeded"}
    assert {"ensure_running", "ensure_boot_config", "ensure_root_disk", "set_root_disk_aside",
            "ensure_stopped"} <= undone
    assert _but_power(services.hosts.get(host.host["id"])) == _but_power(before["record"])
    assert host.libvirt.state(host.domain) == "running"
    recorded_within(api, host.host, "running", seconds=5)  # its node reports the restart as it happens
    host.wait_marker(marker_b)
    assert qemu_img.info(host.disk, "qcow2")["backing-filename"] == before["backing"]
    assert host.boot() == before["boot"]
    assert sorted(p.name for p in host.dir.iterdir()) == ["config.iso", "console.log", "disk.qcow2"]


def _but_power(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "power_state"}


def _attach_a_volume(api, host_record: dict) -> dict:
    created = api.post("/v1/volumes", {"name": unique_name("rb"), "size_gb": 1, "env": "test",
                                       "hypervisor": host_record["hypervisor"]}, key=str(uuid.uuid4()))
    volume_id = api.wait(created.json()["operation"]["id"])["volume_id"]
    attached = api.post(f"/v1/hosts/{host_record['id']}/volumes", {"volume_id": volume_id}, key=str(uuid.uuid4()))
    assert api.wait(attached.json()["operation"]["id"])["state"] == "succeeded"
    return api.get(f"/v1/volumes/{volume_id}").json()["volume"]


def test_rebuild_from_the_snapshot_brings_back_its_disk_and_keeps_the_identity(api, host, snapshot, marker_b):
    before = api.get(f"/v1/hosts/{host.host['id']}").json()["host"]
    volume = _attach_a_volume(api, before)
    resp = api.post(f"/v1/hosts/{host.host['id']}/rebuild", {"image": snapshot["image"]["id"]}, key=str(uuid.uuid4()))
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"])
    assert op["state"] == "succeeded", (op["error"], op["steps"])

    after = api.get(f"/v1/hosts/{host.host['id']}").json()["host"]
    assert after["image"] == snapshot["image"]["id"] and after["state"] == "active"
    assert {k: after[k] for k in ("id", "name", "fqdn", "addresses", "hypervisor", "flavor")} == \
        {k: before[k] for k in ("id", "name", "fqdn", "addresses", "hypervisor", "flavor")}
    host.wait_marker(MARKER_A)
    assert op["result"]["guest"]["hostname"] == before["name"]
    base = qemu_img.info(host.disk, "qcow2")["backing-filename"]
    assert os.path.basename(base).startswith(snapshot["image"]["id"])
    assert sorted(p.name for p in host.dir.iterdir()) == ["config.iso", "console.log", "disk.qcow2"]
    assert api.get(f"/v1/volumes/{volume['id']}").json()["volume"]["state"] == "in-use"
    serials = [b["serial"] for b in (console.latest(host.dir / "console.log") or {}).get("blocks", [])]
    assert volume["id"][:20] in serials
    detached = api.delete(f"/v1/hosts/{host.host['id']}/volumes/{volume['id']}")
    assert api.wait(detached.json()["operation"]["id"])["state"] == "succeeded"
    api.delete(f"/v1/volumes/{volume['id']}")


def test_rebuild_to_a_missing_image_is_refused_and_changes_nothing(api, host):
    resp = api.post(f"/v1/hosts/{host.host['id']}/rebuild", {"image": f"no-such-{uuid.uuid4()}"})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "unknown_image"
    assert api.get(f"/v1/hosts/{host.host['id']}").json()["host"]["state"] == "active"
