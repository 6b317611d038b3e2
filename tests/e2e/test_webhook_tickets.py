"""Ticketing webhooks against the running stack: the stack reports to the loopback
stand-ins this test starts at HOSTFLOW_JIRA_URL / HOSTFLOW_SERVICENOW_URL (scripts/stack.sh
defaults). A flavor no node can hold ends the operation `failed` without booting a guest."""
import base64
import hashlib
import hmac
import json
import os
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.conftest import unique_name
from tests.standins import StandIn
from tests.ticket_payloads import jira_issue, request_item


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} unset: source .hostflow/openrc")
    return value


def stand_in(url_setting: str, user_setting: str, secret_setting: str):
    port = urlsplit(env(url_setting)).port
    receiver = StandIn(port=port, credentials=(env(user_setting), env(secret_setting))).start()
    yield receiver
    receiver.stop()


@pytest.fixture
def jira():
    yield from stand_in("HOSTFLOW_JIRA_URL", "HOSTFLOW_JIRA_USER", "HOSTFLOW_JIRA_API_TOKEN")


@pytest.fixture
def servicenow():
    yield from stand_in("HOSTFLOW_SERVICENOW_URL", "HOSTFLOW_SERVICENOW_USER", "HOSTFLOW_SERVICENOW_PASSWORD")


def huge_fields(name: str) -> dict:
    return {"customfield_10010": name, "customfield_10011": {"value": "test"}, "customfield_10012": "hostflow-test",
            "customfield_10013": 1.0, "customfield_10014": 60000.0, "customfield_10015": 1.0}


def send_jira(api, payload: dict, delivery: str, secret: str | None = None) -> requests.Response:
    raw = json.dumps(payload).encode()
    key = (secret or env("HOSTFLOW_WEBHOOK_SECRET_JIRA")).encode()
    signature = "sha256=" + hmac.new(key, raw, hashlib.sha256).hexdigest()
    return requests.post(f"{api.url}/v1/webhooks/jira", data=raw, timeout=30, headers={
        "Content-Type": "application/json", "X-Hub-Signature": signature,
        "X-Atlassian-Webhook-Identifier": delivery})


def test_a_jira_delivery_allocates_once_and_its_result_is_commented_on_the_issue(api, jira):
    payload = jira_issue(huge_fields(unique_name("huge")))
    payload["issue"]["key"] = issue = f"OPS-{uuid.uuid4().int % 100000}"
    delivery = str(uuid.uuid4())
    first = send_jira(api, payload, delivery)
    assert first.status_code == 202, first.text
    again = send_jira(api, payload, delivery)
    assert again.json()["operation"]["id"] == first.json()["operation"]["id"] and again.json()["created"] is False
    op = api.wait(first.json()["operation"]["id"])
    assert (op["source"], op["state"], op["error"]["code"]) == ("jira", "failed", "no_capacity")
    assert op["requester"].startswith("Mia Krystof") and op["reply_to"]["issue"] == issue
    comment = jira.wait_for(lambda r: r.get("issue") == issue)
    assert "no_capacity" in comment["body"]["body"] and f"/v1/operations/{op['id']}" in comment["body"]["body"]
    sent = api.wait(op["id"], states=(), timeout=30, until=lambda o: o["notify"] == "sent")
    assert sent["notifications"][0]["attempts"] == 1
    assert len([r for r in jira.received if r.get("issue") == issue]) == 1


def test_a_bad_jira_signature_is_a_401(api):
    resp = send_jira(api, jira_issue(huge_fields(unique_name("huge"))), str(uuid.uuid4()), secret="wrong")
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "bad_signature"


def test_a_servicenow_item_is_allocated_and_its_work_notes_updated(api, servicenow):
    item = request_item({"host_name": unique_name("huge"), "environment": "test", "image": "hostflow-test",
                         "vcpus": "1", "ram_mb": "60000", "disk_gb": "1"})
    item["sys_id"] = sys_id = uuid.uuid4().hex
    auth = "Basic " + base64.b64encode(env("HOSTFLOW_WEBHOOK_SECRET_SERVICENOW").encode()).decode()
    resp = requests.post(f"{api.url}/v1/webhooks/servicenow", json=item, headers={"Authorization": auth}, timeout=30)
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"])
    assert (op["source"], op["requester"], op["error"]["code"]) == ("servicenow", "Abel Tuter", "no_capacity")
    patch = servicenow.wait_for(lambda r: r.get("sys_id") == sys_id)
    assert patch["method"] == "PATCH" and patch["table"] == "sc_req_item"
    assert "no_capacity" in patch["body"]["work_notes"]
