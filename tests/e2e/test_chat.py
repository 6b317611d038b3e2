"""Chat-ops against the running stack: Slack and Mattermost slash commands, answered
at once, with the operation's progress and end posted to the command's response_url (a
loopback stand-in). A flavor no node can hold ends the allocation `failed` without booting a
guest; `attach <host> 1g` on a real guest creates the volume, then attaches it."""
import os
import time
import uuid
from urllib.parse import urlencode

import pytest
import requests

from tests.e2e.conftest import unique_name
from tests.standins import StandIn
from webhooks.chat import slack

SLACK_USER, MATTERMOST_USER = "UE2EOPS", "e2e-ops"  # linked by scripts/stack.sh's HOSTFLOW_CHAT_USERS


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} unset: source .hostflow/openrc")
    return value


@pytest.fixture
def chat():
    receiver = StandIn().start()
    yield receiver
    receiver.stop()


def command(text: str, user: str, response_url: str, **over) -> bytes:
    return urlencode({"command": "/hostflow", "text": text, "user_id": user, "user_name": "mia",
                      "channel_id": "C0E2E", "response_url": response_url, **over}).encode()


def send_slack(api, body: bytes, stamp: int | None = None) -> requests.Response:
    stamp = str(int(time.time()) if stamp is None else stamp)
    signed = slack.signature(env("HOSTFLOW_SLACK_SIGNING_SECRET"), stamp, body)
    return requests.post(f"{api.url}/v1/webhooks/slack", data=body, timeout=30, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        slack.TIMESTAMP_HEADER: stamp, slack.SIGNATURE_HEADER: signed})


def is_result(posted: dict) -> bool:
    """The end of an operation is posted in the channel; its progress only to the user."""
    return posted["body"]["response_type"] == "in_channel"


def test_a_slack_allocate_is_acknowledged_at_once_and_its_result_posted_to_the_response_url(api, chat):
    reply = f"{chat.url}/response/{uuid.uuid4().hex}"
    started = time.monotonic()
    ack = send_slack(api, command(f"allocate {unique_name('huge')} 1c64g", SLACK_USER, reply))
    assert time.monotonic() - started < 3 and ack.status_code == 200, ack.text
    assert ack.json()["response_type"] == "ephemeral" and "Started allocate_host" in ack.json()["text"]
    op_id = ack.json()["text"].split("`")[1]
    op = api.wait(op_id)
    assert (op["source"], op["state"], op["error"]["code"]) == ("slack", "failed", "no_capacity")
    assert op["requester"] == f"mia (slack:{SLACK_USER})" and op["reply_to"]["target"] == "slack"
    assert "response_url" not in op["reply_to"]  # a bearer capability: never shown
    posted = chat.wait_for(lambda r: r["path"] == reply.removeprefix(chat.url) and is_result(r))
    assert "no_capacity" in posted["body"]["text"] and f"/v1/operations/{op_id}" in posted["body"]["text"]


def test_a_slack_status_is_answered_in_the_acknowledgement(api, chat):
    accepted = api.allocate(unique_name("huge"), flavor={"vcpus": 1, "ram_mb": 65536, "disk_gb": 1})
    op = api.wait(accepted["operation"]["id"])
    answer = send_slack(api, command(f"status {op['id']}", SLACK_USER, f"{chat.url}/response/s"))
    assert answer.status_code == 200 and answer.json()["response_type"] == "ephemeral"
    assert f"allocate_host `{op['id']}`: failed" in answer.json()["text"] and "no_capacity" in answer.json()["text"]
    assert chat.received == []  # a read posts nothing later


def test_a_stale_or_forged_slack_request_is_401(api, chat):
    body = command("hosts", SLACK_USER, f"{chat.url}/response/x")
    stale = send_slack(api, body, stamp=int(time.time()) - 301)
    forged = requests.post(f"{api.url}/v1/webhooks/slack", data=body, timeout=30, headers={
        "Content-Type": "application/x-www-form-urlencoded", slack.TIMESTAMP_HEADER: str(int(time.time())),
        slack.SIGNATURE_HEADER: "v0=" + "0" * 64})
    assert (stale.status_code, stale.json()["error"]["code"]) == (401, "stale_timestamp")
    assert (forged.status_code, forged.json()["error"]["code"]) == (401, "bad_signature")


def test_mattermost_hosts_with_its_token_and_a_wrong_token_is_401(api, chat):
    url = f"{api.url}/v1/webhooks/mattermost"
    body = command("hosts", MATTERMOST_USER, f"{chat.url}/response/m", token=env("HOSTFLOW_MATTERMOST_TOKEN"))
    listed = requests.post(url, data=body, timeout=30, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert listed.status_code == 200 and listed.json()["response_type"] == "ephemeral", listed.text
    wrong = requests.post(url, data=command("hosts", MATTERMOST_USER, "x", token="nope"), timeout=30,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "bad_token")


def test_a_slack_allocate_then_attach_of_a_new_volume_on_a_real_guest_posts_progress_and_each_result(api, chat):
    name, reply = unique_name("e2e"), f"{chat.url}/response/{uuid.uuid4().hex}"
    ack = send_slack(api, command(f"allocate {name} 1c256m", SLACK_USER, reply))
    allocate = api.wait(ack.json()["text"].split("`")[1])
    host_id = allocate["host_id"]
    try:
        assert allocate["state"] == "succeeded", allocate["error"]
        progress = [r["body"]["text"] for r in chat.received if not is_result(r)]
        assert progress and all(text.startswith(f"allocate_host `{allocate['id']}` is running:") for text in progress)
        assert len(progress) <= 3  # bounded: Slack takes 5 posts per response_url
        ack = send_slack(api, command(f"attach {name} 1g", SLACK_USER, reply))
        assert ack.status_code == 200 and "Started create_volume" in ack.json()["text"], ack.text
        create = api.wait(ack.json()["text"].split("`")[1], timeout=60)
        assert (create["state"], create["source"], create["reply_to"]["target"]) == ("succeeded", "slack", "slack")
        posted = chat.wait_for(lambda r: is_result(r) and "attach_volume succeeded" in r["body"]["text"], timeout=60)
        volume = api.get(f"/v1/volumes/{create['volume_id']}").json()["volume"]
        assert (volume["state"], volume["host_id"]) == ("in-use", host_id)
        for earlier in ("Allocation succeeded", "create_volume succeeded"):  # each end is delivered by its own job
            chat.wait_for(lambda r, earlier=earlier: is_result(r) and r["body"]["text"].split(".")[0] == earlier,
                          timeout=60)
        results = [r["body"]["text"] for r in chat.received if is_result(r)]
        assert sorted(text.split(".")[0] for text in results) == [
            "Allocation succeeded", "attach_volume succeeded", "create_volume succeeded"]
        assert "/v1/operations/" in posted["body"]["text"]
    finally:
        resp = api.delete(f"/v1/hosts/{host_id}?delete_volumes=true")
        if resp.status_code == 202:
            api.wait(resp.json()["operation"]["id"], timeout=120)
