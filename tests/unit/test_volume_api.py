"""Volume requests that must be refused, leaving every state as it was."""
import json
import uuid

import pytest

from infra.db.models import Host, Volume


def add(client, host_state="active", volume_state="available", volume_hv="hv1", attached_to=None):
    db = client.svc.operations.db
    with db.session() as s:
        s.add(Host(id="h1", name="web1", env="test", fqdn="web1.test", state=host_state, hypervisor="hv1",
                   image_id="i", vcpus=1, ram_mb=256, disk_gb=1))
        s.add(Volume(id="v1", name="data", env="test", size_gb=1, state=volume_state, hypervisor=volume_hv,
                     host_id=attached_to))


def call(client, method, path, body=None, key=None):
    """As a client of the API: each call with `key` as its Idempotency-Key, else a new one."""
    return client.open(path, method=method, data=json.dumps(body) if body is not None else None,
                       headers={"Authorization": f"Bearer {client.admin}", "Content-Type": "application/json",
                                "Idempotency-Key": key or str(uuid.uuid4())})


def assert_unchanged(client, volume_state, host_state="active"):
    assert client.svc.volumes.get("v1")["state"] == volume_state
    assert client.svc.hosts.get("h1")["state"] == host_state
    assert client.svc.operations.latest_for_volume("v1", "attach_volume") is None


@pytest.mark.parametrize("size", [0, -1, 10**6, "1"])
def test_size_out_of_range(api, size):
    resp = call(api, "POST", "/v1/volumes", {"name": "data", "size_gb": size, "env": "test"})
    assert resp.status_code == 422 and "size_gb" in resp.json["error"]["message"]
    assert api.svc.volumes.list() == []


def test_attach_a_volume_in_use_elsewhere(api):
    add(api, volume_state="in-use", attached_to="h2")
    resp = call(api, "POST", "/v1/hosts/h1/volumes", {"volume_id": "v1"})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "volume_in_use"
    assert_unchanged(api, "in-use")


def test_attach_to_a_host_being_reclaimed(api):
    add(api, host_state="deleting")
    resp = call(api, "POST", "/v1/hosts/h1/volumes", {"volume_id": "v1"})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "host_busy"
    assert_unchanged(api, "available", "deleting")


def test_attach_across_hypervisors(api):
    add(api, volume_hv="hv2")
    resp = call(api, "POST", "/v1/hosts/h1/volumes", {"volume_id": "v1"})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "volume_on_other_hypervisor"
    assert_unchanged(api, "available")


def test_delete_an_attached_volume(api):
    add(api, volume_state="in-use", attached_to="h1")
    resp = call(api, "DELETE", "/v1/volumes/v1")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "volume_in_use"
    assert api.svc.volumes.get("v1")["state"] == "in-use"


def test_detach_a_volume_not_attached_here(api):
    add(api)
    resp = call(api, "DELETE", "/v1/hosts/h1/volumes/v1")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "volume_not_attached"
    assert_unchanged(api, "available")


def test_unknown_volume(api):
    add(api)
    resp = call(api, "POST", "/v1/hosts/h1/volumes", {"volume_id": "nope"})
    assert resp.status_code == 404 and resp.json["error"]["code"] == "volume_not_found"
