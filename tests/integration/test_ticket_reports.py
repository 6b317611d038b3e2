"""Report-backs over real HTTP to loopback stand-ins for Jira and ServiceNow, on
SQLite and PostgreSQL; a receiver that is down gets the report once it is back."""
import socket
from datetime import datetime, timedelta

import pytest

from infra.db.models import utcnow
from infra.db.notifications import NotificationStore
from infra.db.operations import OperationStore
from infra.http_report import send
from infra.settings import Settings
from tests.standins import StandIn
from webhooks.notifier import deliver, deliver_due, record_end

CREDENTIALS = ("hostflow", "api-token-1")
RESULT = {"host_id": "h1", "name": "web1", "fqdn": "web1.test.cloud.internal", "hypervisor": "hv1",
          "addresses": [{"network": "vm", "address": "10.213.0.17", "cidr": "10.213.0.0/24", "mac": "52:54:00:aa"}]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings_for(port: int) -> Settings:
    url = f"http://127.0.0.1:{port}"
    return Settings.from_env({"HOSTFLOW_JIRA_URL": url, "HOSTFLOW_JIRA_USER": CREDENTIALS[0],
                              "HOSTFLOW_JIRA_API_TOKEN": CREDENTIALS[1], "HOSTFLOW_SERVICENOW_URL": url,
                              "HOSTFLOW_SERVICENOW_USER": CREDENTIALS[0],
                              "HOSTFLOW_SERVICENOW_PASSWORD": CREDENTIALS[1], "HOSTFLOW_NOTIFY_TIMEOUT": "2"})


@pytest.fixture
def stand_in():
    receiver = StandIn(credentials=CREDENTIALS).start()
    yield receiver
    receiver.stop()


def ended_op(db, reply_to: dict) -> dict:
    ops = OperationStore(db)
    op, _ = ops.create("allocate_host", f"it-{reply_to['target']}", {"name": "web1"}, reply_to=reply_to)
    ops.transition(op["id"], {"queued"}, "succeeded", result=RESULT)
    return ops.get(op["id"])


def test_jira_gets_a_comment_on_the_issue(any_db, stand_in):
    settings = settings_for(stand_in.port)
    op = ended_op(any_db, {"target": "jira", "issue": "OPS-42", "base_url": "https://unused.example"})
    notes = NotificationStore(any_db)
    note = record_end(notes, op, settings)
    assert deliver(notes, note["id"], settings, send) == "sent"
    [got] = stand_in.received
    assert (got["method"], got["path"]) == ("POST", "/rest/api/2/issue/OPS-42/comment")
    assert "10.213.0.17" in got["body"]["body"] and op["id"] in got["body"]["body"]
    assert OperationStore(any_db).get(op["id"])["notify"] == "sent"


def test_servicenow_gets_its_work_notes_updated(any_db, stand_in):
    settings = settings_for(stand_in.port)
    op = ended_op(any_db, {"target": "servicenow", "table": "sc_req_item", "sys_id": "9d38", "number": "RITM1"})
    notes = NotificationStore(any_db)
    assert deliver(notes, record_end(notes, op, settings)["id"], settings, send) == "sent"
    [got] = stand_in.received
    assert (got["method"], got["path"]) == ("PATCH", "/api/now/table/sc_req_item/9d38")
    assert "web1.test.cloud.internal" in got["body"]["work_notes"]


def test_a_receiver_that_is_down_gets_the_report_from_the_retry_once_it_is_back(any_db):
    port = free_port()
    settings = settings_for(port)
    op = ended_op(any_db, {"target": "jira", "issue": "OPS-7"})
    notes = NotificationStore(any_db)
    note = record_end(notes, op, settings)
    start = utcnow()
    assert deliver(notes, note["id"], settings, send, now=start) == "failed"
    view = OperationStore(any_db).get(op["id"])
    assert view["notify"] == "failed" and view["notifications"][0]["attempts"] == 1
    assert "ConnectionError" in view["notifications"][0]["last_error"]
    retry_at = datetime.fromisoformat(view["notifications"][0]["next_attempt_at"])
    assert retry_at - start == timedelta(seconds=settings.notify_backoff_s)
    receiver = StandIn(port=port, credentials=CREDENTIALS).start()
    try:
        assert deliver_due(notes, settings, send, now=start + timedelta(seconds=1)) == {}
        assert deliver_due(notes, settings, send, now=retry_at) == {note["id"]: "sent"}
        assert [r["issue"] for r in receiver.received] == ["OPS-7"]
    finally:
        receiver.stop()
    assert OperationStore(any_db).get(op["id"])["notify"] == "sent"


def test_refused_credentials_are_a_failed_attempt_with_the_answer_kept(any_db):
    receiver = StandIn(credentials=("hostflow", "another-token")).start()
    try:
        settings = settings_for(receiver.port)
        notes = NotificationStore(any_db)
        note = record_end(notes, ended_op(any_db, {"target": "jira", "issue": "OPS-9"}), settings)
        assert deliver(notes, note["id"], settings, send) == "failed"
        assert "HTTP 401" in notes.get(note["id"])["last_error"] and receiver.received == []
    finally:
        receiver.stop()
