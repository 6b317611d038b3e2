"""The running API refuses a call that starts an operation without an Idempotency-Key
(400, nothing recorded) and still answers a dry run without one. No guest is made."""
import requests

from tests.e2e.conftest import unique_name


def flavor() -> dict:
    return {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}


def without_key(api, method: str, path: str, body=None, **headers):
    return requests.request(method, api.url + path, json=body, timeout=30,
                            headers={"Authorization": api.session.headers["Authorization"], **headers})


def test_an_allocation_without_a_key_is_400_and_makes_no_host(api):
    name = unique_name("e2e-nokey")
    body = {"name": name, "env": "test", "image": "hostflow-test", "flavor": flavor()}
    for headers in ({}, {"Idempotency-Key": ""}):
        resp = without_key(api, "POST", "/v1/hosts", body, **headers)
        assert resp.status_code == 400, resp.text
        assert resp.json()["error"]["code"] == "idempotency_key_required"
    too_long = without_key(api, "POST", "/v1/hosts", body, **{"Idempotency-Key": "k" * 256})
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "idempotency_key_invalid"
    hosts = api.get("/v1/hosts", params={"include_deleted": "true"}).json()["hosts"]
    assert name not in {h["name"] for h in hosts}


def test_a_volume_without_a_key_is_400_and_records_nothing(api):
    name = unique_name("e2e-nokey")
    resp = without_key(api, "POST", "/v1/volumes", {"name": name, "size_gb": 1, "env": "test"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "idempotency_key_required"
    assert name not in {v["name"] for v in api.get("/v1/volumes").json()["volumes"]}


def test_a_dry_run_needs_no_key(api):
    body = {"name": unique_name("e2e-nokey"), "env": "test", "image": "hostflow-test", "flavor": flavor()}
    plan = without_key(api, "POST", "/v1/hosts?dry_run=true", body)
    assert plan.status_code == 200, plan.text
    volume = without_key(api, "POST", "/v1/volumes?dry_run=true", {"name": body["name"], "size_gb": 1, "env": "test"})
    assert volume.status_code == 200 and volume.json()["dry_run"] is True, volume.text
    hosts = api.get("/v1/hosts", params={"include_deleted": "true"}).json()["hosts"]
    assert body["name"] not in {h["name"] for h in hosts}
