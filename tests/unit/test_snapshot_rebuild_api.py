"""Snapshot and rebuild requests: what is recorded when accepted, and each refusal
answered with a clear 4xx that changes nothing."""
import json
import uuid

import pytest

from infra.db.image_lifecycle import ImageLifecycle
from infra.db.images import ImageStore
from infra.db.models import Host, Image, Operation
from tests.fakes import record_only


@pytest.fixture
def queued(api):
    """Operations are recorded but not handed to a queue."""
    record_only(api.svc)


def add_host(client, state="active", disk_gb=1, ram_mb=256, image_id=None):
    source = ImageStore(client.svc.operations.db).add(
        name="base", disk_format="ami", status="active", os_hash_value="aa", location="s3://b/k",
        kernel_id="kernel-1", ramdisk_id="ramdisk-1", properties={"os_command_line": "console=ttyS0 root=/dev/vda"})
    with client.svc.operations.db.session() as s:
        s.add(Host(id="h1", name="web1", env="test", fqdn="web1.test", state=state, hypervisor="hv1",
                   image_id=image_id or source["id"], vcpus=1, ram_mb=ram_mb, disk_gb=disk_gb,
                   addresses=[{"cidr": "10.0.0.5/24"}]))
    return source


def add_image(client, **fields) -> str:
    base = {"name": "target", "disk_format": "qcow2", "status": "active", "os_hash_value": "bb",
            "location": "s3://b/t"}
    return ImageStore(client.svc.operations.db).add(**{**base, **fields})["id"]


def post(client, path, body, key=None):
    headers = {"Authorization": f"Bearer {client.admin}", "Content-Type": "application/json",
               "Idempotency-Key": key or str(uuid.uuid4())}
    return client.post(path, data=json.dumps(body), headers=headers)


def operations(client) -> int:
    with client.svc.operations.db.session() as s:
        return s.query(Operation).count()


def images(client) -> int:
    with client.svc.operations.db.session() as s:
        return s.query(Image).count()


def assert_refused(client, resp, status, code, host_state="active"):
    assert resp.status_code == status, resp.json
    assert resp.json["error"]["code"] == code
    assert client.svc.hosts.get("h1")["state"] == host_state
    assert operations(client) == 0


# --- snapshot -------------------------------------------------------------------------

def test_snapshot_records_a_queued_qcow2_image_inheriting_how_the_host_boots(api, queued):
    source = add_host(api)
    resp = post(api, "/v1/hosts/h1/snapshot", {"name": "web1-snap"}, key="k1")
    assert resp.status_code == 202, resp.json
    image = api.svc.images.get(resp.json["image"]["id"])
    assert image["status"] == "queued" and image["disk_format"] == "qcow2" and image["container_format"] == "bare"
    assert image["name"] == "web1-snap"
    assert image["kernel_id"] == "kernel-1" and image["ramdisk_id"] == "ramdisk-1"
    assert image["properties"] == {"source_host_id": "h1", "image_type": "snapshot", "base_image_ref": source["id"],
                                   "kernel_id": "kernel-1", "ramdisk_id": "ramdisk-1",
                                   "os_command_line": "console=ttyS0 root=/dev/vda"}
    assert ImageLifecycle(api.svc.operations.db).requirements(image["id"])["min_disk_gb"] == 1
    assert api.svc.hosts.get("h1")["state"] == "snapshotting"
    op = api.svc.operations.get(resp.json["operation"]["id"])
    assert op["kind"] == "snapshot_host" and op["params"]["image_id"] == image["id"]


def test_snapshot_replayed_with_its_key_is_the_same_operation(api, queued):
    add_host(api)
    before = images(api)
    first = post(api, "/v1/hosts/h1/snapshot", {"name": "s"}, key="k1")
    again = post(api, "/v1/hosts/h1/snapshot", {"name": "s"}, key="k1")
    assert again.status_code == 202 and again.json == first.json
    other = post(api, "/v1/hosts/h1/snapshot", {"name": "other"}, key="k1")
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    assert operations(api) == 1 and images(api) == before + 1


@pytest.mark.parametrize("state", ["building", "snapshotting", "rebuilding", "error", "deleted"])
def test_snapshot_of_a_host_that_is_not_active(api, state):
    add_host(api, state=state)
    before = images(api)
    assert_refused(api, post(api, "/v1/hosts/h1/snapshot", {"name": "s"}), 409, "host_busy", state)
    assert images(api) == before


def test_snapshot_of_a_host_with_an_operation_in_progress(api):
    add_host(api)
    before = images(api)
    api.svc.operations.create("attach_volume", "busy", {"x": 1}, host_id="h1")
    resp = post(api, "/v1/hosts/h1/snapshot", {"name": "s"})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "host_busy"
    assert api.svc.hosts.get("h1")["state"] == "active" and images(api) == before


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": 5}, {"name": "s", "extra": 1}])
def test_snapshot_with_a_bad_body(api, body):
    add_host(api)
    assert_refused(api, post(api, "/v1/hosts/h1/snapshot", body), 422, "invalid_request")


def test_snapshot_of_an_unknown_host(api):
    resp = post(api, "/v1/hosts/nope/snapshot", {"name": "s"})
    assert resp.status_code == 404 and operations(api) == 0


# --- rebuild --------------------------------------------------------------------------

def test_rebuild_takes_the_host_and_records_the_resolved_image(api, queued):
    add_host(api)
    target = add_image(api)
    resp = post(api, "/v1/hosts/h1/rebuild", {"image": "target"}, key="r1")
    assert resp.status_code == 202, resp.json
    assert resp.json["image"]["id"] == target
    op = api.svc.operations.get(resp.json["operation"]["id"])
    assert op["kind"] == "rebuild_host" and op["params"] == {"host_id": "h1", "image": "target", "image_id": target}
    assert api.svc.hosts.get("h1")["state"] == "rebuilding"
    assert api.svc.hosts.get("h1")["image"] != target  # changes only when the rebuild succeeds
    assert post(api, "/v1/hosts/h1/rebuild", {"image": "target"}, key="r1").json == resp.json


def test_rebuild_to_a_missing_image(api):
    add_host(api)
    assert_refused(api, post(api, "/v1/hosts/h1/rebuild", {"image": "no-such-image"}), 422, "unknown_image")


@pytest.mark.parametrize("status", ["killed", "queued", "saving", "deleted"])
def test_rebuild_to_an_image_that_is_not_active(api, status):
    add_host(api)
    image = add_image(api, status=status)
    assert_refused(api, post(api, "/v1/hosts/h1/rebuild", {"image": image}), 409, "image_not_active")


@pytest.mark.parametrize("disk_format", ["aki", "iso"])
def test_rebuild_to_an_image_that_is_no_root_disk(api, disk_format):
    add_host(api)
    image = add_image(api, disk_format=disk_format)
    assert_refused(api, post(api, "/v1/hosts/h1/rebuild", {"image": image}), 422, "image_not_bootable")


@pytest.mark.parametrize("fields", [{"min_disk_gb": 2}, {"virtual_size": (1 << 30) + 1}])
def test_rebuild_to_an_image_needing_a_larger_disk_than_the_flavor(api, fields):
    add_host(api, disk_gb=1)
    image = add_image(api, **fields)
    assert_refused(api, post(api, "/v1/hosts/h1/rebuild", {"image": image}), 422, "flavor_disk_too_small")


def test_rebuild_to_an_image_needing_more_memory_than_the_flavor(api):
    add_host(api, ram_mb=256)
    image = add_image(api, min_ram_mb=512)
    assert_refused(api, post(api, "/v1/hosts/h1/rebuild", {"image": image}), 422, "flavor_ram_too_small")


def test_rebuild_to_an_image_that_fits_exactly(api, queued):
    add_host(api, disk_gb=1, ram_mb=256)
    image = add_image(api, min_disk_gb=1, min_ram_mb=256, virtual_size=1 << 30)
    assert post(api, "/v1/hosts/h1/rebuild", {"image": image}).status_code == 202


@pytest.mark.parametrize("state", ["building", "snapshotting", "rebuilding", "deleting"])
def test_rebuild_of_a_busy_host(api, state):
    add_host(api, state=state)
    image = add_image(api)
    assert_refused(api, post(api, "/v1/hosts/h1/rebuild", {"image": image}), 409, "host_busy", state)


def test_rebuild_with_unknown_fields(api):
    add_host(api)
    assert_refused(api, post(api, "/v1/hosts/h1/rebuild", {"image": "x", "flavor": {}}), 422, "invalid_request")


def test_retry_of_a_rolled_back_snapshot_takes_the_host_and_queues_its_image_again(api, queued):
    add_host(api)
    op_id = post(api, "/v1/hosts/h1/snapshot", {"name": "s"}).json["operation"]["id"]
    image_id = api.svc.operations.get(op_id)["params"]["image_id"]
    api.svc.operations.transition(op_id, {"queued"}, "rolled_back", error_code="x")
    ImageLifecycle(api.svc.operations.db).swap(image_id, {"queued"}, "killed", status_reason="x")
    api.svc.hosts.update("h1", state="active")
    assert post(api, f"/v1/operations/{op_id}/retry", None).status_code == 202
    assert api.svc.hosts.get("h1")["state"] == "snapshotting"
    image = api.svc.images.get(image_id)
    assert image["status"] == "queued" and image["status_reason"] is None


def test_retry_of_a_rebuild_that_left_its_host_in_error(api, queued):
    add_host(api)
    op_id = post(api, "/v1/hosts/h1/rebuild", {"image": add_image(api)}).json["operation"]["id"]
    api.svc.operations.transition(op_id, {"queued"}, "failed", error_code="worker_lost")
    api.svc.hosts.update("h1", state="error")
    assert post(api, f"/v1/operations/{op_id}/retry", None).status_code == 202
    assert api.svc.hosts.get("h1")["state"] == "rebuilding"


def test_retry_refused_while_another_operation_has_the_host(api, queued):
    add_host(api)
    op_id = post(api, "/v1/hosts/h1/snapshot", {"name": "s"}).json["operation"]["id"]
    api.svc.operations.transition(op_id, {"queued"}, "rolled_back", error_code="x")
    api.svc.hosts.update("h1", state="rebuilding")
    resp = post(api, f"/v1/operations/{op_id}/retry", None)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "host_busy"
    assert api.svc.operations.get(op_id)["state"] == "rolled_back"


@pytest.mark.parametrize("path, body", [("snapshot", {"name": "s"}), ("rebuild", {"image": "img"})])
def test_a_dry_run_is_refused_rather_than_acted_on(api, path, body):
    add_host(api)
    resp = post(api, f"/v1/hosts/h1/{path}?dry_run=true", body)
    assert_refused(api, resp, 422, "dry_run_not_supported")
