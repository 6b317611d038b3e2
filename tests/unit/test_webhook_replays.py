"""Replays: a captured signed delivery sent again, under whatever unsigned header, starts
nothing new. Jira and the generic webhook are keyed on what their signature covers (the
signed event, the signed body), the generic webhook's signature dates the request (5
minutes), and a Slack command delivered twice inside its 5 minutes starts one operation."""
import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest

from infra.db import migrate
from infra.db.models import Host
from tests.fakes import RecordingQueue, record_only
from tests.ticket_payloads import ALLOCATE_FIELDS, jira_issue
from tests.unit.test_api_validation import VALID, signed
from tests.unit.test_chat import TOKEN, form, post_slack
from tests.unit.test_chat_verbs import build, operations
from tests.unit.test_ticket_webhooks import make_client, send_jira
from webhooks import generic
from webhooks.chat import run as chat_run
from webhooks.chat import slack

RECLAIM_FIELDS = {"customfield_10010": "web1", "customfield_10011": {"value": "test"}}


@pytest.fixture
def tickets(tmp_path):
    return make_client(tmp_path)


# --- Jira: the key is the signed event, not X-Atlassian-Webhook-Identifier ----------------

def test_a_captured_jira_delivery_resent_with_a_new_identifier_is_the_same_operation(tickets):
    payload = jira_issue(ALLOCATE_FIELDS)
    first = send_jira(tickets, payload, delivery="d-1")
    again = send_jira(tickets, payload, delivery="d-forged")
    assert first.status_code == 202 and again.status_code == 202, again.json
    assert again.json["operation"]["id"] == first.json["operation"]["id"] and again.json["created"] is False
    assert len(tickets.svc.hosts.list()) == 1 and len(tickets.queued) == 1


def test_a_jira_event_without_a_timestamp_or_changelog_id_is_keyed_on_its_signed_body(tickets):
    payload = jira_issue(ALLOCATE_FIELDS)
    del payload["timestamp"], payload["changelog"]["id"]
    raw = json.dumps(payload).encode()
    first = send_jira(tickets, payload, delivery="d-1", raw=raw)
    again = send_jira(tickets, payload, delivery="d-2", raw=raw)
    assert again.json["operation"]["id"] == first.json["operation"]["id"] and again.json["created"] is False
    op = tickets.svc.operations.get(first.json["operation"]["id"])
    assert op["idempotency_key"] == "jira:sha256:" + hashlib.sha256(raw).hexdigest()


def test_a_captured_reclaim_resent_after_the_name_was_reused_reclaims_nothing_new(tickets):
    svc = tickets.svc
    send_jira(tickets, jira_issue(ALLOCATE_FIELDS), delivery="d-alloc")
    [old] = svc.hosts.list()
    svc.operations.transition(old["created_operation"], {"queued"}, "succeeded")
    reclaim = jira_issue(RECLAIM_FIELDS, "Host Reclaim", changelog_id="10301", timestamp=1732630100000)
    first = send_jira(tickets, reclaim, delivery="d-reclaim")
    assert first.status_code == 202, first.json
    svc.operations.transition(first.json["operation"]["id"], {"queued"}, "succeeded")
    svc.hosts.update(old["id"], state="deleted")
    # a new web1, asked for by a later event
    again = send_jira(tickets, jira_issue(ALLOCATE_FIELDS, changelog_id="10302", timestamp=1732630200000),
                      delivery="d-alloc-2")
    new_host = again.json["host"]["id"]
    assert again.status_code == 202 and new_host != old["id"]
    svc.operations.transition(again.json["operation"]["id"], {"queued"}, "succeeded")
    svc.hosts.update(new_host, state="active")
    queued = list(tickets.queued)

    replayed = send_jira(tickets, reclaim, delivery="d-forged")

    assert replayed.status_code == 202, replayed.json
    assert replayed.json["operation"]["id"] == first.json["operation"]["id"] and replayed.json["created"] is False
    assert replayed.json["host"]["id"] == old["id"]
    assert svc.hosts.get(new_host)["state"] == "active" and svc.operations.latest_for_host(
        new_host, "reclaim_host") is None
    assert tickets.queued == queued


# --- generic: keyed on the signed body, signed and dated ---------------------------------

def hook(api, body: dict, **headers):
    raw = json.dumps(body).encode()
    return api.post("/v1/webhooks/generic", data=raw, headers=signed(raw, **headers))


def test_a_captured_generic_delivery_resent_with_new_delivery_headers_is_the_same_operation(api):
    queue = record_only(api.svc)
    body = {"operation": "allocate_host", "params": VALID}
    first = hook(api, body, **{"X-Delivery-Id": "d-1", "Idempotency-Key": "k-1"})
    again = hook(api, body, **{"X-Delivery-Id": "d-forged", "Idempotency-Key": "k-forged"})
    assert first.status_code == 202 and again.status_code == 202, again.json
    assert again.json["operation"]["id"] == first.json["operation"]["id"]
    raw = json.dumps(body).encode()
    op = api.svc.operations.get(first.json["operation"]["id"])
    assert op["idempotency_key"] == "generic:sha256:" + hashlib.sha256(raw).hexdigest()
    assert len(api.svc.hosts.list()) == 1 and len(queue.queued) == 1


def add_host(api, host_id="h1", name="web9") -> str:
    with api.svc.operations.db.session() as s:
        s.add(Host(id=host_id, name=name, env="test", project="default", fqdn=f"{name}.test", state="active",
                   hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1))
    return host_id


def test_the_same_request_again_is_its_operation_and_a_request_id_makes_it_a_new_one(api):
    queue = record_only(api.svc)
    add_host(api)
    body = {"operation": "reclaim_host", "params": {"host_id": "h1"}}
    first = hook(api, body)
    api.svc.operations.transition(first.json["operation"]["id"], {"queued"}, "failed")
    assert hook(api, body).json["operation"]["id"] == first.json["operation"]["id"]
    retried = hook(api, {**body, "request_id": "retry-1"})
    assert retried.status_code == 202 and retried.json["operation"]["id"] != first.json["operation"]["id"]
    assert len(queue.queued) == 2


@pytest.mark.parametrize("age", [301, -301, 10**6])
def test_a_generic_delivery_dated_more_than_five_minutes_from_now_is_401_stale_request(api, age):
    queue = record_only(api.svc)
    resp = hook(api, {"operation": "allocate_host", "params": VALID}, stamp=int(time.time()) - age)
    assert resp.status_code == 401 and resp.json["error"]["code"] == "stale_request"
    assert api.svc.hosts.list(include_deleted=True) == [] and queue.queued == []


def test_a_generic_delivery_within_five_minutes_is_accepted(api):
    record_only(api.svc)
    resp = hook(api, {"operation": "allocate_host", "params": VALID}, stamp=int(time.time()) - 290)
    assert resp.status_code == 202, resp.json


def test_a_generic_delivery_without_a_timestamp_is_401_even_signed_the_old_way(api):
    raw = json.dumps({"operation": "allocate_host", "params": VALID}).encode()
    old_way = "sha256=" + hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
    resp = api.post("/v1/webhooks/generic", data=raw, headers={generic.SIGNATURE_HEADER: old_way})
    assert resp.status_code == 401 and resp.json["error"]["code"] == "missing_timestamp"
    resp = api.post("/v1/webhooks/generic", data=raw, headers={generic.SIGNATURE_HEADER: old_way,
                                                               generic.TIMESTAMP_HEADER: str(int(time.time()))})
    assert resp.status_code == 401 and resp.json["error"]["code"] == "bad_signature"
    assert api.svc.hosts.list(include_deleted=True) == []


def test_a_captured_generic_delivery_cannot_be_redated(api):
    """The timestamp is signed: a fresh one on an old signature does not match it."""
    raw = json.dumps({"operation": "allocate_host", "params": VALID}).encode()
    old = signed(raw, stamp=int(time.time()) - 600)
    resp = api.post("/v1/webhooks/generic", data=raw,
                    headers={**old, generic.TIMESTAMP_HEADER: str(int(time.time()))})
    assert resp.status_code == 401 and resp.json["error"]["code"] == "bad_signature"


@pytest.mark.parametrize("stamp", ["²", "1.5", "-1", "1" * 40, " "])
def test_a_generic_timestamp_that_is_not_unix_seconds_is_a_401(api, stamp):
    raw = b'{"operation": "reclaim_host", "params": {"host_id": "x"}}'
    resp = api.post("/v1/webhooks/generic", data=raw,
                    headers={generic.TIMESTAMP_HEADER: stamp,
                             generic.SIGNATURE_HEADER: generic.signature("s3cret", stamp.strip(), raw)})
    assert resp.status_code == 401
    assert resp.json["error"]["code"] in {"stale_request", "missing_timestamp"}


# --- Slack and Mattermost: one operation per delivered command ---------------------------

@pytest.fixture
def queue(monkeypatch):
    monkeypatch.setattr(chat_run, "POLL_S", 0.05)
    return RecordingQueue()


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("replay-template") / "hostflow.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def chat(tmp_path, queue, template):
    return build(tmp_path, queue, template)


def test_the_same_signed_slack_command_delivered_twice_starts_one_operation(chat):
    body, stamp = form("resize web1 2c1g"), int(time.time())
    first = post_slack(chat, body, timestamp=stamp)
    assert first.json["text"].startswith("Started resize_host"), first.json
    again = post_slack(chat, body, timestamp=stamp)
    assert again.status_code == 200 and "already received" in again.json["text"], again.json
    [op] = operations(chat)
    assert op["id"] in again.json["text"] and chat.queue == [op["id"]]
    assert op["idempotency_key"] == slack.delivery_key(str(stamp), body) + ":0"


def test_the_same_command_typed_again_is_a_new_request(chat):
    body, stamp = form("resize web1 2c1g"), int(time.time())
    first = post_slack(chat, body, timestamp=stamp)
    op_id = first.json["text"].split("`")[1]
    chat.svc.operations.transition(op_id, {"queued"}, "failed")
    chat.svc.hosts.update("h1", state="active")
    later = post_slack(chat, body, timestamp=stamp + 1)
    assert later.json["text"].startswith("Started resize_host"), later.json
    assert len(operations(chat)) == 2


def mattermost(chat, **fields):
    return chat.post("/v1/webhooks/mattermost", data=form("resize web1 2c1g", user="mmops", token=TOKEN, **fields),
                     content_type="application/x-www-form-urlencoded")


def test_a_mattermost_delivery_repeated_with_its_trigger_id_starts_one_operation(chat):
    assert mattermost(chat, trigger_id="t-1").json["text"].startswith("Started resize_host")
    again = mattermost(chat, trigger_id="t-1")
    assert "already received" in again.json["text"], again.json
    assert len(operations(chat)) == 1 and len(chat.queue) == 1
