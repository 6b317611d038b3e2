"""Share requests that must be refused (a clear 4xx), leaving every record as it was."""
import dataclasses
import json
import uuid

import pytest

from infra.db.models import Host
from infra.db.shares import ShareStore


def call(client, method, path, body=None, token=None, key=None):
    """As a client of the API: each call with `key` as its Idempotency-Key, else a new one."""
    return client.open(path, method=method, data=json.dumps(body) if body is not None else None,
                       headers={"Authorization": f"Bearer {token or client.admin}",
                                "Content-Type": "application/json", "Idempotency-Key": key or str(uuid.uuid4())})


def root(client):
    return client.svc.settings.share_root_paths()[0]


def share_body(client, **over):
    return {"name": "data", "env": "test", "source": f"{root(client)}/data", "mount_point": "/Data/test_share",
            **over}


def add_host(client, env="test", state="active"):
    with client.svc.operations.db.session() as s:
        s.add(Host(id="h1", name="web1", env=env, fqdn="web1.test", state=state, hypervisor="hv1", image_id="i",
                   vcpus=1, ram_mb=256, disk_gb=1))


def nothing_recorded(client):
    assert ShareStore(client.svc.operations.db).for_host("h1") == []
    assert client.svc.operations.active_for_host("h1") is None
    assert client.svc.hosts.get("h1")["state"] == "active"


def test_an_admin_records_a_share(api):
    api.svc.settings = dataclasses.replace(api.svc.settings, share_driver="9p")  # read-only: not over virtiofs
    resp = call(api, "POST", "/v1/shares", share_body(api, read_only=True))
    assert resp.status_code == 201
    assert resp.json["share"]["source"] == f"{root(api)}/data" and resp.json["share"]["read_only"] is True
    assert [s["name"] for s in call(api, "GET", "/v1/shares").json["shares"]] == ["data"]
    again = call(api, "POST", "/v1/shares", share_body(api))
    assert again.status_code == 409 and again.json["error"]["code"] == "share_exists"


@pytest.mark.parametrize("source", ["{root}/../../etc", "{root}/data/../../x", "/etc/shares", "{root}", "{root}/./d"])
def test_a_source_outside_the_share_roots_is_refused(api, source):
    resp = call(api, "POST", "/v1/shares", share_body(api, source=source.format(root=root(api))))
    assert resp.status_code == 422 and resp.json["error"]["code"] == "share_path_outside_roots"
    assert call(api, "GET", "/v1/shares").json["shares"] == []


@pytest.mark.parametrize("over", [{"mount_point": "/etc"}, {"mount_point": "/proc/x"}, {"mount_point": "/a/../b"},
                                  {"mount_point": "Data"}, {"source": "/srv/a b"}, {"mode": "smb"},
                                  {"name": "Not_A_Label"}, {"extra": 1}])
def test_malformed_shares_are_refused(api, over):
    resp = call(api, "POST", "/v1/shares", share_body(api, **over))
    assert resp.status_code == 422, resp.json
    assert call(api, "GET", "/v1/shares").json["shares"] == []


def test_only_an_admin_records_shares(api):
    from infra.db.tokens import TokenStore

    operator = TokenStore(api.svc.operations.db).create("op", "operator")
    resp = call(api, "POST", "/v1/shares", share_body(api), token=operator)
    assert resp.status_code == 403
    assert call(api, "GET", "/v1/shares").json["shares"] == []


def test_attaching_an_unknown_share_is_refused(api):
    add_host(api)
    resp = call(api, "POST", "/v1/hosts/h1/shares", {"name": "nope"})
    assert resp.status_code == 422 and resp.json["error"]["code"] == "unknown_share"
    nothing_recorded(api)


def test_detaching_an_unknown_share_is_not_found(api):
    add_host(api)
    resp = call(api, "DELETE", "/v1/hosts/h1/shares/nope")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "unknown_share"
    nothing_recorded(api)


def test_a_share_of_another_environment_is_refused(api):
    add_host(api)
    call(api, "POST", "/v1/shares", share_body(api, env="prod"))
    resp = call(api, "POST", "/v1/hosts/h1/shares", {"name": "data"})
    assert resp.status_code == 422 and resp.json["error"]["code"] == "share_other_env"
    nothing_recorded(api)


def test_detaching_a_share_not_attached_is_a_conflict(api):
    add_host(api)
    call(api, "POST", "/v1/shares", share_body(api))
    resp = call(api, "DELETE", "/v1/hosts/h1/shares/data")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "share_not_attached"
    nothing_recorded(api)


def test_deleting_a_share_in_use_is_a_conflict(api):
    add_host(api)
    share = call(api, "POST", "/v1/shares", share_body(api)).json["share"]
    ShareStore(api.svc.operations.db).set_host("h1", [share["id"]])
    resp = call(api, "DELETE", "/v1/shares/data")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "share_in_use"
    ShareStore(api.svc.operations.db).detach_host("h1")
    assert call(api, "DELETE", "/v1/shares/data").status_code == 200
    assert call(api, "GET", "/v1/shares").json["shares"] == []
