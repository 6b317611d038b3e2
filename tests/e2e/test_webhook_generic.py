"""The generic signed webhook against the running stack."""
import hashlib
import hmac
import json
import os
import time
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


def signed(raw: bytes, secret: str, stamp: int | None = None) -> dict:
    """The signature covers "<X-Hostflow-Timestamp>.<raw body>"."""
    stamp = str(int(time.time()) if stamp is None else stamp)
    signature = "sha256=" + hmac.new(secret.encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return {"X-Hostflow-Timestamp": stamp, "X-Hub-Signature-256": signature, "Content-Type": "application/json"}


def deliver(api, body: dict, secret: str, delivery: str, stamp: int | None = None) -> requests.Response:
    raw = json.dumps(body).encode()
    return requests.post(f"{api.url}/v1/webhooks/generic", data=raw, timeout=30,
                         headers={**signed(raw, secret, stamp), "X-Delivery-Id": delivery})


def test_signed_delivery_becomes_an_operation_and_a_redelivery_the_same_one(api, secret):
    body = {"operation": "allocate_host", "params": {
        "name": unique_name("huge"), "env": "test", "image": "hostflow-test",
        "flavor": {"vcpus": 1, "ram_mb": 60000, "disk_gb": 1}}}
    first = deliver(api, body, secret, str(uuid.uuid4()))
    assert first.status_code == 202, first.text
    again = deliver(api, body, secret, str(uuid.uuid4()))  # the key is the signed body, not the delivery id
    assert again.json()["operation"]["id"] == first.json()["operation"]["id"]
    op = api.wait(first.json()["operation"]["id"])
    assert op["source"] == "generic" and op["error"]["code"] == "no_capacity"


def test_a_delivery_signed_more_than_five_minutes_ago_is_refused(api, secret):
    body = {"operation": "reclaim_host", "params": {"host_id": "x"}}
    resp = deliver(api, body, secret, str(uuid.uuid4()), stamp=int(time.time()) - 301)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "stale_request"


def test_tampered_body_is_refused(api, secret):
    raw = json.dumps({"operation": "reclaim_host", "params": {"host_id": "x"}}).encode()
    resp = requests.post(f"{api.url}/v1/webhooks/generic", data=raw + b" ", timeout=30, headers=signed(raw, secret))
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "bad_signature"
