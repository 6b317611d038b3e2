"""Every verb of the grammar from chat: each goes through the service layer's validation
and submit function, as its REST route does (a fake queue records what would run), records the chat's source,
requester and reply_to, and respects the chat user's role and projects. A response_url
on a host not allowed is refused before anything starts."""
import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.app import create_app
from cli.grammar import parse
from infra.db import migrate
from infra.db.hypervisors import HypervisorStore
from infra.db.images import ImageStore
from infra.db.models import Host, Operation, Volume
from infra.settings import Settings
from operations.scoping import Forbidden
from tests.fakes import RecordingQueue
from tests.standins import StandIn
from tests.unit.test_chat import SECRET, TOKEN, form, post_slack
from tests.unit.test_dns_decide import FakeServer
from webhooks.chat import actions as chat_actions
from webhooks.chat import run as chat_run
from webhooks.chat.users import chat_user

USERS = {"slack:UOPS": {"role": "operator", "projects": ["default"]},
         "slack:UVIEW": {"role": "viewer", "projects": ["default"]},
         "mattermost:mmops": {"role": "operator", "projects": ["default"]}}
REQUESTER = "mia (slack:UOPS)"


@pytest.fixture
def queue(monkeypatch):
    """A fake queue (installed on the app's services by `build`): the operations handed to it, in order."""
    monkeypatch.setattr(chat_run, "POLL_S", 0.05)
    return RecordingQueue()


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """One migrated database, copied for each test (migrating is most of a test's time)."""
    path = tmp_path_factory.mktemp("chat-template") / "hostflow.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def build(tmp_path, queue, template, **env) -> object:
    """web1 (default project) with an attached volume `logs` and a spare `spare`; `theirs`
    and its volume in project `other`; one live hypervisor; an image; a fake DNS server."""
    settings = Settings.from_env({"HOSTFLOW_STATE_DIR": str(tmp_path), "HOSTFLOW_REDIS_URL": "redis://127.0.0.1:1/0",
                                  "HOSTFLOW_SLACK_SIGNING_SECRET": SECRET, "HOSTFLOW_MATTERMOST_TOKEN": TOKEN,
                                  "HOSTFLOW_CHAT_USERS": json.dumps(USERS), "HOSTFLOW_CHAT_PROGRESS_POSTS": "0",
                                  "HOSTFLOW_CHAT_RESPONSE_LOOPBACK": "1",
                                  **{f"HOSTFLOW_{k.upper()}": v for k, v in env.items()}})
    shutil.copy(template, tmp_path / "hostflow.db")
    client = create_app(settings).test_client()
    svc = client.svc = client.application.extensions["hostflow"]
    svc.planner.control.dns = FakeServer()
    ImageStore(svc.operations.db).add(name="img", disk_format="qcow2", status="active", os_hash_value="00",
                                      location="/nowhere")
    HypervisorStore(svc.operations.db).register("hv1", "hv.hv1", {"vcpus": 8, "ram_mb": 8192, "disk_gb": 100},
                                                {"cpu": 1.0, "ram": 1.0, "disk": 1.0})
    HypervisorStore(svc.operations.db).beat("hv1", datetime.now(UTC))
    with svc.operations.db.session() as s:
        for host_id, name, project in (("h1", "web1", "default"), ("h2", "theirs", "other")):
            s.add(Host(id=host_id, name=name, env="test", project=project, fqdn=f"{name}.test.cloud.internal",
                       state="active", hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1,
                       addresses=[{"network": "vm", "address": "10.213.0.5", "cidr": "10.213.0.5/24"}]))
        s.add(Volume(id="v1", name="spare", env="test", size_gb=1, state="available", hypervisor="hv1"))
        s.add(Volume(id="v2", name="logs", env="test", size_gb=1, state="in-use", hypervisor="hv1", host_id="h1"))
        s.add(Volume(id="v3", name="their-data", env="test", project="other", size_gb=1, state="available",
                     hypervisor="hv1"))
    svc.queue = queue
    client.queue = queue.queued
    return client


@pytest.fixture
def chat(tmp_path, queue, template):
    return build(tmp_path, queue, template)


def operations(client) -> list[dict]:
    with client.svc.operations.db.session() as s:
        ids = [op.id for op in s.query(Operation).order_by(Operation.created_at)]
    return [client.svc.operations.get(i) for i in ids]


def started_id(resp) -> str:
    assert resp.status_code == 200 and resp.json["response_type"] == "ephemeral", resp.json
    assert resp.json["text"].startswith("Started "), resp.json["text"]
    return resp.json["text"].split("`")[1]


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.mark.parametrize("text,kind,params", [
    ("resize web1 2c1g", "resize_host", {"flavor": {"vcpus": 2, "ram_mb": 1024, "disk_gb": 1}}),
    ("resize web1 1c512m disk=3g", "resize_host", {"flavor": {"vcpus": 1, "ram_mb": 512, "disk_gb": 3}}),
    ("attach web1 volume=v1", "attach_volume", {"host_id": "h1", "volume_id": "v1"}),
    ("detach web1 logs", "detach_volume", {"host_id": "h1", "volume_id": "v2"}),
    ("rebuild web1 img", "rebuild_host", {"host_id": "h1", "image": "img"}),
    ("snapshot web1 web1-before", "snapshot_host", {"host_id": "h1", "name": "web1-before"}),
    ("dns web1 shop.test.cloud.internal", "register_domain_name", {"fqdn": "shop.test.cloud.internal"}),
    ("reclaim web1", "reclaim_host", {"host_id": "h1"}),
    ("stop web1", "stop_host", {"host_id": "h1", "action": "stop"}),
    ("reboot web1 hard", "reboot_host", {"host_id": "h1", "action": "reboot", "force": True}),
    ("suspend web1", "suspend_host", {"host_id": "h1", "action": "suspend"}),
])
def test_a_chat_command_submits_its_operation_as_the_api_does_recording_who_and_where(chat, text, kind, params):
    op_id = started_id(post_slack(chat, form(text)))
    op = chat.svc.operations.get(op_id)
    assert (op["kind"], op["host_id"], op["source"], op["requester"]) == (kind, "h1", "slack", REQUESTER)
    assert params.items() <= op["params"].items()
    assert op["reply_to"]["response_url"] == "http://127.0.0.1:9/response"
    assert datetime.fromisoformat(op["reply_to"]["expires_at"]) > datetime.now(UTC)
    assert chat.queue == [op_id]


def test_mattermost_runs_the_same_verbs(chat):
    resp = chat.post("/v1/webhooks/mattermost", data=form("resize web1 2c1g", user="mmops", token=TOKEN),
                     content_type="application/x-www-form-urlencoded")
    op = chat.svc.operations.get(started_id(resp))
    assert (op["kind"], op["source"], op["reply_to"]["target"]) == ("resize_host", "mattermost", "mattermost")


def test_the_routes_refusals_are_the_answer_and_record_nothing(chat):
    resp = post_slack(chat, form("resize web1 1c256m"))
    assert "already has this flavor" in resp.json["text"]
    resp = post_slack(chat, form("rebuild web1 no-such-image"))
    assert "failed:" in resp.json["text"] and "no-such-image" in resp.json["text"]
    assert operations(chat) == [] and chat.queue == []


def test_attach_of_a_new_size_creates_the_volume_then_attaches_it_once_created(chat):
    create_id = started_id(post_slack(chat, form("attach web1 2g")))
    create = chat.svc.operations.get(create_id)
    assert create["kind"] == "create_volume" and create["source"] == "slack"
    volume = chat.svc.volumes.get(create["volume_id"])
    assert (volume["name"], volume["size_gb"], volume["hypervisor"], volume["project"]) == (
        "web1-data", 2, "hv1", "default")
    time.sleep(0.3)
    assert len(operations(chat)) == 1  # the attach waits for the volume
    chat.svc.volumes.swap(volume["id"], {"creating"}, "available")
    chat.svc.operations.transition(create_id, {"queued"}, "succeeded")
    attach = wait_until(lambda: chat.svc.operations.latest_for_volume(volume["id"], "attach_volume"))
    assert (attach["host_id"], attach["requester"], attach["reply_to"]["target"]) == ("h1", REQUESTER, "slack")
    assert chat.queue == [create_id, attach["id"]]


def test_attach_of_a_new_size_stops_when_the_volume_is_not_created_and_says_so(chat):
    receiver = StandIn().start()
    try:
        url = f"{receiver.url}/response/attach"
        create_id = started_id(post_slack(chat, form("attach web1 2g", response_url=url)))
        chat.svc.operations.transition(create_id, {"queued"}, "failed", error_code="no_capacity",
                                       error_message="no room")
        posted = receiver.wait_for(lambda r: r["response"] == "attach", timeout=5)
    finally:
        receiver.stop()
    assert "ended failed: no room; nothing more was done" in posted["body"]["text"]
    assert [op["kind"] for op in operations(chat)] == ["create_volume"]


@pytest.mark.parametrize("text", ["resize web1 2c1g", "attach web1 2g", "attach web1 volume=v1", "detach web1 logs",
                                  "rebuild web1 img", "snapshot web1 s1", "dns web1 shop.test.cloud.internal",
                                  "reclaim web1", "allocate web2 1c1g"])
def test_a_viewer_may_change_nothing(chat, text):
    resp = post_slack(chat, form(text, user="UVIEW"))
    assert "role (viewer) may only run help, hosts, status" in resp.json["text"]
    assert operations(chat) == [] and chat.queue == []


def test_the_chat_actions_themselves_refuse_a_viewers_change(chat):
    viewer = chat_user(chat.svc.settings, "slack", "UVIEW", "vic")
    with pytest.raises(Forbidden):
        chat_actions.change(chat_actions.Caller(chat.svc, viewer, "slack"), parse("resize web1 2c1g"))
    assert operations(chat) == []


@pytest.mark.parametrize("theirs,unknown", [
    ("resize theirs 2c1g", "resize nosuch 2c1g"),
    ("snapshot theirs s1", "snapshot nosuch s1"),
    ("dns theirs shop.test.cloud.internal", "dns nosuch shop.test.cloud.internal"),
    ("reclaim h2", "reclaim h9"),
    ("attach web1 volume=v3", "attach web1 volume=v9"),
])
def test_another_projects_host_or_volume_is_as_not_found_as_an_unknown_one(chat, theirs, unknown):
    answered = post_slack(chat, form(theirs)).json["text"]
    expected = post_slack(chat, form(unknown)).json["text"]
    for word_theirs, word_unknown in zip(theirs.split(), unknown.split(), strict=True):
        expected = expected.replace(word_unknown.removeprefix("volume="), word_theirs.removeprefix("volume="))
    assert "failed:" in answered and ("not found" in answered or "no host named" in answered)
    assert answered == expected
    assert operations(chat) == [] and chat.queue == []


def test_status_of_another_projects_operation_is_not_found(chat):
    with chat.svc.operations.db.session() as s:
        s.add(Operation(id="op-theirs", kind="resize_host", idempotency_key="k", fingerprint="f", params={},
                        host_id="h2", state="running"))
    assert "operation op-theirs not found" in post_slack(chat, form("status op-theirs")).json["text"]


@pytest.mark.parametrize("url", ["https://evil.example.com/response/x", "http://10.0.0.1/response",
                                 "ftp://hooks.slack.com/x", "https://hooks.slack.com.evil.example/x",
                                 "http://hooks.slack.com/commands/T1/2/x"])
def test_a_response_url_on_a_host_not_allowed_is_400_and_starts_nothing(chat, url):
    resp = post_slack(chat, form("resize web1 2c1g", response_url=url))
    assert resp.status_code == 400 and resp.json["error"]["code"] == "response_url_not_allowed"
    assert "hooks.slack.com" in resp.json["error"]["message"]
    mm = chat.post("/v1/webhooks/mattermost", data=form("resize web1 2c1g", user="mmops", token=TOKEN,
                                                          response_url=url),
                   content_type="application/x-www-form-urlencoded")
    assert mm.status_code == 400
    assert operations(chat) == [] and chat.queue == []


def test_a_slack_response_url_is_allowed_by_default(chat):
    op_id = started_id(post_slack(chat, form("resize web1 2c1g",
                                             response_url="https://hooks.slack.com/commands/T1/2/x")))
    assert chat.svc.operations.get(op_id)["reply_to"]["response_url"].startswith("https://hooks.slack.com/")


def test_progress_is_posted_while_the_operation_runs_then_nothing_once_it_ended(tmp_path, queue, template):
    chat = build(tmp_path, queue, template, chat_progress_posts="3", chat_progress_interval_s="0")
    receiver = StandIn().start()
    try:
        url = f"{receiver.url}/response/progress"
        op_id = started_id(post_slack(chat, form("resize web1 2c1g", response_url=url)))
        chat.svc.operations.transition(op_id, {"queued"}, "running")
        chat.svc.operations.step_started(op_id, 1, "resize_disk", "do", "hv1")
        posted = receiver.wait_for(lambda r: r["response"] == "progress", timeout=5)
        chat.svc.operations.transition(op_id, {"running"}, "succeeded")
        time.sleep(0.3)
    finally:
        receiver.stop()
    assert posted["body"]["response_type"] == "ephemeral"
    assert f"resize_host `{op_id}` is running" in posted["body"]["text"]
    assert "resize_disk: running" in posted["body"]["text"]
    assert len(receiver.received) == 1


def test_a_slow_start_is_still_acknowledged_in_time_and_the_command_goes_on(chat, monkeypatch):
    submit = chat_actions.submit_resize
    monkeypatch.setattr(chat_run, "ACK_WAIT_S", 0.1)
    monkeypatch.setattr(chat_actions, "submit_resize", lambda *a, **k: (time.sleep(0.5), submit(*a, **k))[1])
    receiver = StandIn().start()
    try:
        began = time.monotonic()
        resp = post_slack(chat, form("resize web1 2c1g", response_url=f"{receiver.url}/response/slow"))
        assert time.monotonic() - began < 0.5
        assert resp.json["text"] == "Working on `resize web1 2c1g`; I will post here what it starts."
        posted = receiver.wait_for(lambda r: r["response"] == "slow", timeout=5)
    finally:
        receiver.stop()
    op = chat.svc.operations.latest_for_host("h1", "resize_host")
    assert op["source"] == "slack" and chat.queue == [op["id"]]
    assert posted["body"]["text"].startswith(f"Started resize_host `{op['id']}`")


def test_loopback_is_refused_unless_the_test_setting_allows_it(tmp_path, queue, template):
    chat = build(tmp_path, queue, template, chat_response_loopback="0")
    resp = post_slack(chat, form("resize web1 2c1g", response_url="http://127.0.0.1:9/response"))
    assert resp.status_code == 400 and resp.json["error"]["code"] == "response_url_not_allowed"
    assert operations(chat) == [] and chat.queue == []
