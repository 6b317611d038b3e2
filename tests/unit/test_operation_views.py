"""An operation started from chat keeps its command's response_url for the report-back,
but that URL is a bearer capability (whoever holds it may post into the channel): no
reading of the operation shows it, neither the API, nor the audit, nor chat's `status`,
nor a failed report's error."""
import json

import pytest

from cli.grammar import parse
from infra import http_report
from infra.db import migrate
from infra.db.notifications import NotificationStore
from infra.db.tokens import TokenStore
from tests.fakes import RecordingQueue
from tests.unit.test_chat import form, post_slack
from tests.unit.test_chat_verbs import build, started_id
from webhooks.chat import actions as chat_actions
from webhooks.chat import run as chat_run
from webhooks.chat.users import chat_user
from webhooks.notifier import deliver, record_end

RESPONSE_URL = "http://127.0.0.1:9/response/T1/secret-path"  # port 9: nothing listens, a post fails at once


@pytest.fixture
def chat(tmp_path, monkeypatch):
    """The chat test app (tests/unit/test_chat_verbs.py) with an admin token; one resize
    started from Slack, its id in `chat.op_id`."""
    monkeypatch.setattr(chat_run, "POLL_S", 0.05)
    template = tmp_path / "template.db"
    migrate.upgrade(f"sqlite:///{template}")
    state = tmp_path / "state"
    state.mkdir()
    client = build(state, RecordingQueue(), template)
    client.admin = TokenStore(client.svc.operations.db).create("admin", "admin")
    client.op_id = started_id(post_slack(client, form("resize web1 2c1g", response_url=RESPONSE_URL)))
    assert client.svc.operations.get(client.op_id)["reply_to"]["response_url"] == RESPONSE_URL  # kept
    return client


def get(chat, path):
    resp = chat.get(path, headers={"Authorization": f"Bearer {chat.admin}"})
    assert resp.status_code == 200, resp.json
    return resp


def assert_hidden(text: str):
    assert "response_url" not in text and "secret-path" not in text and "127.0.0.1:9" not in text


def test_get_operation_shows_reply_to_without_the_response_url(chat):
    resp = get(chat, f"/v1/operations/{chat.op_id}")
    assert_hidden(resp.get_data(as_text=True))
    reply_to = resp.json["operation"]["reply_to"]
    assert (reply_to["target"], reply_to["channel"], reply_to["user"]) == ("slack", "C1", "slack:UOPS")
    assert reply_to["expires_at"]


def test_the_operations_list_and_the_audit_show_no_response_url(chat):
    listed = get(chat, "/v1/operations")
    assert [op["id"] for op in listed.json["operations"]] == [chat.op_id]
    assert_hidden(listed.get_data(as_text=True))
    audit = get(chat, "/v1/audit")
    assert audit.json["records"][0]["reply_to"]["target"] == "slack"
    assert_hidden(audit.get_data(as_text=True))


def test_a_failed_reports_error_does_not_show_the_response_url(chat):
    svc = chat.svc
    svc.operations.transition(chat.op_id, {"queued"}, "succeeded")
    notes = NotificationStore(svc.operations.db)
    note = record_end(notes, svc.operations.get(chat.op_id), svc.settings)
    assert deliver(notes, note["id"], svc.settings, http_report.send) == "failed"
    last_error = notes.get(note["id"])["last_error"]
    assert "127.0.0.1" in last_error and "secret-path" not in last_error  # the host, never the path
    shown = get(chat, f"/v1/operations/{chat.op_id}")
    assert shown.json["operation"]["notifications"][0]["state"] == "failed"
    assert "ConnectionError" in shown.json["operation"]["notifications"][0]["last_error"]
    text = shown.get_data(as_text=True)
    assert "response_url" not in text and "secret-path" not in text


def test_chat_status_answers_the_operation_without_the_response_url(chat):
    user = chat_user(chat.svc.settings, "slack", "UOPS", "mia")
    answer = chat_actions.status(chat_actions.Caller(chat.svc, user, "slack"), parse(f"status {chat.op_id}"))
    assert answer["operation"]["reply_to"]["target"] == "slack"
    assert_hidden(json.dumps(answer))
