"""Reporting an operation's end to its ticket: recorded, delivered, retried with backoff, never lost."""
from datetime import datetime, timedelta

import pytest

from flows.runner import Recorder
from infra.db.models import utcnow
from infra.db.notifications import NotificationStore
from infra.db.operations import OperationStore
from infra.http_report import DeliveryFailed
from infra.settings import Settings
from webhooks.notifier import backoff, deliver, deliver_due, record_end

SETTINGS = Settings.from_env({"HOSTFLOW_API_URL": "http://hostflow.example:8770",
                              "HOSTFLOW_JIRA_URL": "https://acme.atlassian.net",
                              "HOSTFLOW_JIRA_USER": "bot@example.com", "HOSTFLOW_JIRA_API_TOKEN": "tok",
                              "HOSTFLOW_NOTIFY_BACKOFF_S": "30", "HOSTFLOW_NOTIFY_BACKOFF_MAX_S": "100"})
JIRA = {"target": "jira", "issue": "OPS-42"}
RESULT = {"host_id": "h1", "name": "web1", "fqdn": "web1.test.cloud.internal", "hypervisor": "hv1",
          "addresses": [{"network": "vm", "address": "10.213.0.17", "cidr": "10.213.0.0/24", "mac": "52:54:00:aa"}]}


class Receiver:
    """`send` as the notifier calls it, up or down."""

    def __init__(self, up=True):
        self.up, self.calls = up, []

    def __call__(self, method, url, body, auth, timeout):
        self.calls.append((method, url, body, auth))
        if not self.up:
            raise DeliveryFailed(f"{method} {url}: ConnectionError: refused")


@pytest.fixture
def stores(db):
    return OperationStore(db), NotificationStore(db)


def ended(ops: OperationStore, state="succeeded", reply_to=JIRA, **fields) -> dict:
    op, _ = ops.create("allocate_host", f"k-{state}-{len(fields)}", {"name": "web1"}, reply_to=reply_to)
    ops.transition(op["id"], {"queued"}, state, **fields)
    return ops.get(op["id"])


def test_a_success_is_reported_with_name_fqdn_address_and_a_link(stores):
    ops, notes = stores
    op = ended(ops, result=RESULT)
    note = record_end(notes, op, SETTINGS)
    assert (note["method"], note["url"], note["state"]) == (
        "POST", "https://acme.atlassian.net/rest/api/2/issue/OPS-42/comment", "pending")
    text = note["payload"]["body"]
    for part in ("web1", "web1.test.cloud.internal", "10.213.0.17",
                 f"http://hostflow.example:8770/v1/operations/{op['id']}"):
        assert part in text


def test_a_failure_is_reported_with_its_error(stores):
    ops, notes = stores
    op = ended(ops, "failed", error_code="no_capacity", error_message="no hypervisor can hold 60000 MiB")
    text = record_end(notes, op, SETTINGS)["payload"]["body"]
    assert "failed" in text and "no_capacity" in text and "60000 MiB" in text


def test_an_operation_not_from_a_ticket_reports_nothing(stores):
    ops, notes = stores
    assert record_end(notes, ended(ops, reply_to=None), SETTINGS) is None


def test_a_delivery_sends_the_report_with_the_source_s_credentials(stores):
    ops, notes = stores
    op = ended(ops, result=RESULT)
    note = record_end(notes, op, SETTINGS)
    receiver = Receiver()
    assert deliver(notes, note["id"], SETTINGS, receiver) == "sent"
    [(method, url, body, auth)] = receiver.calls
    assert (method, auth) == ("POST", ("bot@example.com", "tok")) and "web1" in body["body"]
    view = ops.get(op["id"])
    assert view["notify"] == "sent" and view["notifications"][0]["attempts"] == 1


def test_a_failed_delivery_waits_its_backoff_then_is_delivered_by_the_sweep(stores):
    ops, notes = stores
    op = ended(ops, result=RESULT)
    note = record_end(notes, op, SETTINGS)
    start, receiver = utcnow(), Receiver(up=False)
    assert deliver(notes, note["id"], SETTINGS, receiver, now=start) == "failed"
    view = ops.get(op["id"])
    assert view["notify"] == "failed"
    [shown] = view["notifications"]
    assert shown["attempts"] == 1 and "refused" in shown["last_error"] and shown["next_attempt_at"]
    receiver.up = True
    assert deliver_due(notes, SETTINGS, receiver, now=start + timedelta(seconds=29)) == {}
    assert deliver_due(notes, SETTINGS, receiver, now=start + timedelta(seconds=31)) == {note["id"]: "sent"}
    assert ops.get(op["id"])["notify"] == "sent" and len(receiver.calls) == 2
    assert deliver_due(notes, SETTINGS, receiver, now=start + timedelta(days=1)) == {}


def test_a_receiver_down_for_long_is_retried_at_growing_intervals_and_never_given_up(stores):
    ops, notes = stores
    note = record_end(notes, ended(ops, result=RESULT), SETTINGS)
    now, receiver, waits = utcnow(), Receiver(up=False), []
    for _ in range(6):
        assert deliver_due(notes, SETTINGS, receiver, now=now) == {note["id"]: "failed"}
        retry_at = notes.get(note["id"])["next_attempt_at"]
        waits.append(round((_parse(retry_at) - now).total_seconds()))
        now = _parse(retry_at)
    assert waits == [30, 60, 100, 100, 100, 100]
    receiver.up = True
    assert deliver_due(notes, SETTINGS, receiver, now=now) == {note["id"]: "sent"}
    assert notes.get(note["id"])["attempts"] == 7


def test_an_attempt_in_flight_is_not_taken_a_second_time(stores):
    ops, notes = stores
    note = record_end(notes, ended(ops, result=RESULT), SETTINGS)
    now = utcnow()
    assert notes.claim(note["id"], now, lease_s=70) is not None
    assert deliver(notes, note["id"], SETTINGS, Receiver(), now=now) == "skipped"
    assert deliver_due(notes, SETTINGS, Receiver(), now=now + timedelta(seconds=60)) == {}


def test_backoff_doubles_up_to_its_cap():
    assert [backoff(n, SETTINGS).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_the_recorder_reports_the_end_of_an_operation_from_a_ticket_only():
    reported = []
    Recorder(None, None, {"id": "op1", "reply_to": JIRA}, on_end=reported.append)._report()
    Recorder(None, None, {"id": "op2", "reply_to": None}, on_end=reported.append)._report()
    assert reported == ["op1"]


def test_a_report_that_cannot_be_recorded_does_not_undo_the_ending():
    def broken(op_id):
        raise RuntimeError("database gone")

    Recorder(None, None, {"id": "op1", "reply_to": JIRA}, on_end=broken)._report()


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def test_with_no_jira_configured_the_report_is_dropped_and_no_credentials_leave(stores):
    ops, notes = stores
    unset = Settings.from_env({"HOSTFLOW_JIRA_USER": "bot@example.com", "HOSTFLOW_JIRA_API_TOKEN": "tok"})
    op = ended(ops, result=RESULT, reply_to={**JIRA, "base_url": "https://attacker.example"})
    note = record_end(notes, op, unset)
    receiver = Receiver()
    assert deliver(notes, note["id"], unset, receiver) == "dropped"
    assert receiver.calls == []
    assert notes.get(note["id"])["last_error"].startswith("jira_url_unset")
