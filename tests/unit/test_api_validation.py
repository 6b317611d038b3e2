"""Bad input gets a clear 4xx JSON error and changes nothing."""
import json
import time
import uuid

import pytest

from webhooks import generic

VALID = {"name": "web1", "env": "test", "image": "img", "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}


def post(api, body, token=None, raw=None, key=None):
    headers = {"Authorization": f"Bearer {token or api.admin}", "Content-Type": "application/json",
               "Idempotency-Key": key or str(uuid.uuid4())}
    return api.post("/v1/hosts", data=raw if raw is not None else json.dumps(body), headers=headers)


def assert_nothing_recorded(api):
    assert api.svc.hosts.list(include_deleted=True) == []


def test_malformed_json(api):
    resp = post(api, None, raw="{not json")
    assert resp.status_code == 400 and resp.json["error"]["code"] == "malformed_json"
    assert_nothing_recorded(api)


def test_unknown_field(api):
    resp = post(api, {**VALID, "colour": "blue"})
    assert resp.status_code == 422 and resp.json["error"]["code"] == "invalid_request"
    assert "colour" in resp.json["error"]["message"]
    assert_nothing_recorded(api)


@pytest.mark.parametrize("field,value", [("vcpus", 0), ("vcpus", -1), ("vcpus", 9), ("ram_mb", 0),
                                         ("ram_mb", 10**7), ("disk_gb", 0), ("vcpus", "2")])
def test_flavor_out_of_range(api, field, value):
    resp = post(api, {**VALID, "flavor": {**VALID["flavor"], field: value}})
    assert resp.status_code == 422 and field in resp.json["error"]["message"]
    assert_nothing_recorded(api)


@pytest.mark.parametrize("name", ["web 1", "../etc", "<x>", "a" * 64, "", "-web", "Web1"])
def test_name_must_be_a_dns_label(api, name):
    resp = post(api, {**VALID, "name": name})
    assert resp.status_code == 422 and resp.json["error"]["message"].startswith("name")
    assert_nothing_recorded(api)


def test_unknown_image(api):
    resp = post(api, {**VALID, "image": "nope"})
    assert resp.status_code == 422 and resp.json["error"]["code"] == "unknown_image"
    assert_nothing_recorded(api)


def test_missing_token(api):
    resp = api.post("/v1/hosts", json=VALID)
    assert resp.status_code == 401 and resp.json["error"]["code"] == "missing_token"


def test_bad_token(api):
    resp = post(api, VALID, token="hf_wrong")
    assert resp.status_code == 401 and resp.json["error"]["code"] == "invalid_token"
    assert_nothing_recorded(api)


def test_viewer_cannot_allocate(api):
    resp = post(api, VALID, token=api.viewer)
    assert resp.status_code == 403
    assert_nothing_recorded(api)


def test_queue_down_still_accepts_the_operation_and_keeps_it_to_queue(api):
    resp = post(api, VALID)  # the unit fixture's Redis URL points nowhere
    assert resp.status_code == 202 and resp.json["operation"]["state"] == "queued"
    [entry] = api.svc.outbox.entries(resp.json["operation"]["id"])
    assert entry["attempt"] == 0 and "could not queue" in entry["last_error"]


def signed(body: bytes, secret="s3cret", stamp: int | None = None, **headers) -> dict:
    """A generic delivery's headers: the timestamp, and the signature of "<timestamp>.<body>"."""
    stamp = str(int(time.time()) if stamp is None else stamp)
    return {generic.TIMESTAMP_HEADER: stamp, generic.SIGNATURE_HEADER: generic.signature(secret, stamp, body),
            **headers}


def test_webhook_bad_signature(api):
    body = json.dumps({"operation": "allocate_host", "params": VALID}).encode()
    resp = api.post("/v1/webhooks/generic", data=body, headers=signed(body, "wrong"))
    assert resp.status_code == 401 and resp.json["error"]["code"] == "bad_signature"
    assert_nothing_recorded(api)


def test_webhook_missing_signature(api):
    resp = api.post("/v1/webhooks/generic", data=b"{}")
    assert resp.status_code == 401 and resp.json["error"]["code"] == "missing_signature"


def test_webhook_unknown_operation(api):
    body = json.dumps({"operation": "format_disk", "params": {}}).encode()
    resp = api.post("/v1/webhooks/generic", data=body, headers=signed(body))
    assert resp.status_code == 422 and resp.json["error"]["code"] == "unknown_operation"


def test_webhook_validates_params_like_the_api(api):
    body = json.dumps({"operation": "allocate_host", "params": {**VALID, "name": "<x>"}}).encode()
    resp = api.post("/v1/webhooks/generic", data=body, headers=signed(body))
    assert resp.status_code == 422
    assert_nothing_recorded(api)


def test_openapi_lists_the_contract(api):
    doc = api.get("/v1/openapi.json").json
    assert {"/v1/hosts", "/v1/hosts/{id}", "/v1/operations/{id}", "/v1/webhooks/generic"} <= set(doc["paths"])


def test_unknown_route_is_json(api):
    resp = api.get("/v1/nothing")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"
