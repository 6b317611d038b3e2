"""Chat-ops: Slack signatures and replay window, the Mattermost token, who may run what,
and the answers a slash command gets."""
import json
import time
from urllib.parse import urlencode

import pytest

from api.app import create_app
from infra.db import migrate
from infra.errors import Unauthorized
from infra.settings import Settings
from webhooks.chat import mattermost, slack
from webhooks.chat.replies import response

SECRET, TOKEN = "slack-secret", "mm-token"
USERS = {"slack:UOPS": {"role": "operator", "projects": ["default"]},
         "slack:UVIEW": {"role": "viewer", "projects": ["default"]},
         "mattermost:mmops": {"role": "operator", "projects": ["default"]}}


@pytest.fixture
def chat(tmp_path):
    settings = Settings.from_env({"HOSTFLOW_STATE_DIR": str(tmp_path), "HOSTFLOW_REDIS_URL": "redis://127.0.0.1:1/0",
                                  "HOSTFLOW_SLACK_SIGNING_SECRET": SECRET, "HOSTFLOW_MATTERMOST_TOKEN": TOKEN,
                                  "HOSTFLOW_CHAT_USERS": json.dumps(USERS), "HOSTFLOW_CHAT_RESPONSE_LOOPBACK": "1"})
    migrate.upgrade(settings.database_url)
    return create_app(settings).test_client()


def form(text: str, user: str = "UOPS", **over) -> bytes:
    fields = {"command": "/hostflow", "text": text, "user_id": user, "user_name": "mia", "channel_id": "C1",
              "response_url": "http://127.0.0.1:9/response", **over}
    return urlencode(fields).encode()


def post_slack(client, body: bytes, timestamp: int | None = None, secret: str = SECRET):
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {slack.TIMESTAMP_HEADER: stamp, slack.SIGNATURE_HEADER: slack.signature(secret, stamp, body)}
    return client.post("/v1/webhooks/slack", data=body, content_type="application/x-www-form-urlencoded",
                       headers=headers)


def test_a_v0_signature_over_timestamp_and_body_is_accepted():
    body, now = b"text=hosts", 1_700_000_000
    slack.verify(SECRET, str(now), body, slack.signature(SECRET, str(now), body), now=now + 299)


@pytest.mark.parametrize("stamp,signed_body,code", [
    ("1700000000", b"text=hosts", "stale_timestamp"),  # 301 s old: a replay
    ("1700000602", b"text=hosts", "stale_timestamp"),  # from the future
    ("1700000301", b"text=reclaim", "bad_signature"),  # another body
    ("x", b"text=hosts", "stale_timestamp"),
])
def test_a_stale_timestamp_or_another_body_is_refused(stamp, signed_body, code):
    with pytest.raises(Unauthorized) as caught:
        slack.verify(SECRET, stamp, b"text=hosts", slack.signature(SECRET, stamp, signed_body), now=1_700_000_301)
    assert caught.value.code == code


def test_slack_requests_with_a_stale_timestamp_or_bad_signature_are_401(chat):
    stale = post_slack(chat, form("hosts"), timestamp=int(time.time()) - 301)
    forged = post_slack(chat, form("hosts"), secret="wrong")
    assert (stale.status_code, stale.json["error"]["code"]) == (401, "stale_timestamp")
    assert (forged.status_code, forged.json["error"]["code"]) == (401, "bad_signature")


def test_the_mattermost_token_must_match():
    mattermost.verify(TOKEN, TOKEN)
    for given in ("mm-tokem", "", None):
        with pytest.raises(Unauthorized):
            mattermost.verify(TOKEN, given)
    with pytest.raises(Unauthorized):
        mattermost.verify("", "")  # unconfigured: nothing is accepted


def test_a_wrong_mattermost_token_is_401(chat):
    resp = chat.post("/v1/webhooks/mattermost", data=form("hosts", user="mmops", token="nope"),
                     content_type="application/x-www-form-urlencoded")
    assert (resp.status_code, resp.json["error"]["code"]) == (401, "bad_token")


@pytest.mark.parametrize("text,says", [
    ("frobnicate web1", "unknown command 'frobnicate'"),
    ("allocate web1 lots", "is not a flavor"),
    ("", "no command given"),
])
def test_an_unknown_or_malformed_command_answers_with_usage_and_starts_nothing(chat, text, says):
    resp = post_slack(chat, form(text))
    assert resp.status_code == 200 and resp.json["response_type"] == "ephemeral"
    assert says in resp.json["text"] and "usage:" in resp.json["text"]
    ops = chat.application.extensions["hostflow"].operations.list(None, None, 10)
    assert ops[1] == 0


def test_an_unmapped_user_is_refused_politely(chat):
    resp = post_slack(chat, form("hosts", user="USTRANGER"))
    assert resp.status_code == 200 and resp.json["response_type"] == "ephemeral"
    assert "not linked to hostflow" in resp.json["text"] and "USTRANGER" in resp.json["text"]


def test_a_viewer_may_read_but_not_allocate(chat):
    refused = post_slack(chat, form("allocate web1 1c1g", user="UVIEW"))
    assert "role (viewer) may only run help, hosts, status" in refused.json["text"]
    assert chat.application.extensions["hostflow"].operations.list(None, None, 10)[1] == 0
    listed = post_slack(chat, form("hosts", user="UVIEW"))
    assert listed.json == {"response_type": "ephemeral", "text": "No hosts."}


def test_status_of_an_unknown_operation_says_so(chat):
    resp = post_slack(chat, form("status 0000-none"))
    assert resp.json["response_type"] == "ephemeral" and "operation 0000-none not found" in resp.json["text"]


def test_a_change_to_a_host_nobody_has_says_so_and_starts_nothing(chat):
    resp = post_slack(chat, form("resize web1 2c4g"))
    assert resp.json == {"response_type": "ephemeral", "text": "`resize web1 2c4g` failed: no host named 'web1'"}
    assert chat.application.extensions["hostflow"].operations.list(None, None, 10)[1] == 0


def test_mattermost_uses_the_same_grammar_and_user_table(chat):
    resp = chat.post("/v1/webhooks/mattermost", data=form("help", user="mmops", token=TOKEN),
                     content_type="application/x-www-form-urlencoded")
    assert resp.json["response_type"] == "ephemeral" and "allocate <name>" in resp.json["text"]


def test_the_result_is_posted_in_channel_to_the_response_url():
    report = response({"target": "slack", "response_url": "https://hooks.slack.com/commands/T1/2/x"}, "done", None)
    assert (report.method, report.url, report.body) == (
        "POST", "https://hooks.slack.com/commands/T1/2/x", {"response_type": "in_channel", "text": "done"})


def test_a_slack_allocation_that_needs_approval_shows_the_channel_the_buttons(tmp_path, monkeypatch):
    from infra import prefect_runs
    from infra.db.images import ImageStore
    from operations import approvals
    from tests.fakes import record_only

    settings = Settings.from_env({"HOSTFLOW_STATE_DIR": str(tmp_path), "HOSTFLOW_REDIS_URL": "redis://127.0.0.1:1/0",
                                  "HOSTFLOW_SLACK_SIGNING_SECRET": SECRET, "HOSTFLOW_CHAT_USERS": json.dumps(USERS),
                                  "HOSTFLOW_APPROVAL_ENVS": "prod", "HOSTFLOW_CHAT_RESPONSE_LOOPBACK": "1"})
    migrate.upgrade(settings.database_url)
    app = create_app(settings)
    ImageStore(app.extensions["hostflow"].operations.db).add(name="hostflow-test", disk_format="qcow2",
                                                             status="active", os_hash_value="00", location="/x")
    queue = record_only(app.extensions["hostflow"])
    monkeypatch.setattr(approvals.prefect_runs, "start_follower", lambda s, op_id: "run-1")
    monkeypatch.setattr(prefect_runs, "resume", lambda *a: None)
    resp = post_slack(app.test_client(), form("allocate web1 1c1g env=prod"))
    assert resp.json["response_type"] == "in_channel"
    buttons = resp.json["blocks"][1]["elements"]
    assert [b["action_id"] for b in buttons] == ["approve", "reject"]
    op = app.extensions["hostflow"].operations.get(buttons[0]["value"])
    assert op["state"] == "awaiting_approval" and op["source"] == "slack"
    assert queue.queued == [], "queued without approval"
