"""The generic signed webhook against the running stack."""
import hashlib
import hmac
import json
import os
import uuid

import pytest
import requests

from tests.e2e.conftest import unique_name


@pytest.fixture
def secret():
    value = os.environ.get("HOSTFLOW_WEBHOOK_SECRET_GENERIC")
    if not value:
        pytest.fail("HOSTFLOW_WEBHOOK_SECRET_GENERIC unset: source .hostflow/openrc")
    return value


def deliver(api, body: dict, secret: str, delivery: str) -> requests.Response:
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return requests.post(f"{api.url}/v1/webhooks/generic", data=raw, timeout=30,
                         headers={"X-Hub-Signature-256": signature, "X-Delivery-Id": delivery,
                                  "Content-Type": "application/json"})


def test_signed_delivery_becomes_an_operation_and_a_redelivery_the_same_one(api, secret):
    body = {"operation": "allocate_host", "params": {
        "name": unique_name("huge"), "env": "test", "image": "hostflow-test",
        "flavor": {"vcpus": 1, "ram_mb": 60000, "disk_gb": 1}}}
    delivery = str(uuid.uuid4())
    first = deliver(api, body, secret, delivery)
    assert first.status_code == 202, first.text
    again = deliver(api, body, secret, delivery)
    assert again.json()["operation"]["id"] == first.json()["operation"]["id"]
    op = api.wait(first.json()["operation"]["id"])
    assert op["source"] == "generic" and op["error"]["code"] == "no_capacity"


def test_tampered_body_is_refused(api, secret):
    raw = json.dumps({"operation": "reclaim_host", "params": {"host_id": "x"}}).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    resp = requests.post(f"{api.url}/v1/webhooks/generic", data=raw + b" ", timeout=30,
                         headers={"X-Hub-Signature-256": signature})
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "bad_signature"
