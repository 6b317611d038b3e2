"""Approvals and cancellation through the API, with the queue and Prefect replaced by
recorders and the operation run by the flow runner against a fake dispatcher."""
import json
from datetime import UTC, datetime, timedelta

import pytest

from api.app import create_app
from flows.runner import run_operation
from infra import prefect_runs
from infra.db import migrate
from infra.db.images import ImageStore
from infra.db.tokens import TokenStore
from infra.errors import StepFailed
from infra.settings import Settings
from operations import approvals
from tests.fakes import record_only
from tests.unit.test_engine import OUTCOME_DATA
from tests.unit.test_resize import add_host

ALLOCATE = {"name": "web1", "env": "prod", "image": "img", "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}


class Nodes:
    """Every step succeeds; `on_step(function)` runs before each."""

    def __init__(self, on_step=lambda function: None):
        self.calls, self.on_step = [], on_step

    def run(self, queue, job_id, function, request, reuse=True, mode="do"):
        self.on_step(function)
        self.calls.append(function if not job_id.endswith("_undo") else f"undo {function}")
        return {"ok": True, "outcome": {"changed": True, "before": None, "after": "x", "note": "",
                                        "data": OUTCOME_DATA.get(function, {})}}


@pytest.fixture
def api(tmp_path, monkeypatch):
    return make_api(tmp_path, monkeypatch)


def make_api(tmp_path, monkeypatch):
    """An app whose policy holds prod allocations and more than 4 vCPUs, with the queue
    and the Prefect calls replaced by recorders."""
    settings = Settings.from_env({"HOSTFLOW_STATE_DIR": str(tmp_path), "HOSTFLOW_MAX_VCPUS": "8",
                                  "HOSTFLOW_REDIS_URL": "redis://127.0.0.1:1/0", "HOSTFLOW_APPROVAL_ENVS": "prod",
                                  "HOSTFLOW_APPROVAL_MAX_VCPUS": "4", "HOSTFLOW_APPROVAL_RECLAIM_AGE_DAYS": "30",
                                  "HOSTFLOW_APPROVERS": "ops-lead"})
    migrate.upgrade(settings.database_url)
    app = create_app(settings)
    client = app.test_client()
    client.svc = app.extensions["hostflow"]
    ImageStore(client.svc.operations.db).add(name="img", disk_format="qcow2", status="active", os_hash_value="00",
                                             location="/nowhere")
    tokens = TokenStore(client.svc.operations.db)
    client.tokens = {role: tokens.create(role, role) for role in ("admin", "viewer")}
    client.tokens["approver"] = tokens.create("ops-lead", "operator", projects=["default"])
    client.tokens["operator"] = tokens.create("dev", "operator", projects=["default"])
    client.queued = record_only(client.svc).queued
    client.followers, client.resumed = [], []
    monkeypatch.setattr(prefect_runs, "start_follower", lambda s, op_id: client.followers.append(op_id) or "run-1")
    monkeypatch.setattr(prefect_runs, "resume", lambda s, run_id, data: client.resumed.append((run_id, data)))
    return client


def call(api, method, path, body=None, who="admin"):
    return api.open(path, method=method, data=json.dumps(body) if body is not None else None,
                    headers={"Authorization": f"Bearer {api.tokens[who]}", "Content-Type": "application/json",
                             "Idempotency-Key": f"{method}{path}{json.dumps(body)}"})


def allocate(api, who="operator", **over) -> dict:
    """Requested by the `dev` operator: nobody approves their own request."""
    resp = call(api, "POST", "/v1/hosts", {**ALLOCATE, **over}, who=who)
    assert resp.status_code == 202, resp.json
    return api.svc.operations.get(resp.json["operation"]["id"])


def run(api, op_id, nodes=None):
    run_operation(op_id, api.svc.settings, dispatcher=nodes or Nodes(), prefect=False)
    return api.svc.operations.get(op_id)


def test_a_prod_allocation_waits_for_approval_instead_of_being_queued(api):
    op = allocate(api)
    assert op["state"] == "awaiting_approval" and api.queued == []
    assert op["approval"]["reason"] == "allocations in environment prod need approval"
    assert api.followers == [op["id"]] and op["deployment_run_id"] == "run-1"


def test_the_answer_shows_the_operation_awaiting_approval(api):
    resp = call(api, "POST", "/v1/hosts", ALLOCATE)
    assert resp.json["operation"]["state"] == "awaiting_approval"


def test_more_vcpus_than_the_policy_allows_waits_for_approval(api):
    op = allocate(api, env="test", flavor={"vcpus": 6, "ram_mb": 256, "disk_gb": 1})
    assert op["state"] == "awaiting_approval" and "more than 4 vCPUs" in op["approval"]["reason"]


def test_a_request_the_policy_does_not_name_is_queued_at_once(api):
    op = allocate(api, env="test")
    assert op["state"] == "queued" and api.queued == [op["id"]] and op["approval"] is None


def test_reclaiming_an_old_host_waits_for_approval(api):
    add_host(api, host_id="old")
    with api.svc.operations.db.session() as s:
        from infra.db.models import Host
        s.get(Host, "old").created_at = datetime.now(UTC) - timedelta(days=40)
    resp = call(api, "DELETE", "/v1/hosts/old")
    op = api.svc.operations.get(resp.json["operation"]["id"])
    assert op["state"] == "awaiting_approval" and "40 days old" in op["approval"]["reason"]


def test_approving_queues_the_operation_and_resumes_its_waiting_run(api):
    op = allocate(api)
    resp = call(api, "POST", f"/v1/operations/{op['id']}/approve", {"note": "go"})
    assert resp.status_code == 202 and resp.json["operation"]["state"] == "queued"
    assert resp.json["operation"]["approval"]["decision"] == "approved"
    assert resp.json["operation"]["approval"]["by"] == "admin"
    assert api.queued == [op["id"]] and api.resumed == [("run-1", {"approve": True, "note": "go"})]
    assert run(api, op["id"])["state"] == "succeeded"


def test_a_rejected_allocation_ends_rejected_having_run_nothing(api):
    op = allocate(api)
    assert call(api, "POST", f"/v1/operations/{op['id']}/reject", {"note": "not now"}).status_code == 202
    nodes = Nodes()
    final = run(api, op["id"], nodes)
    assert final["state"] == "rejected" and final["error"]["code"] == "rejected"
    assert "rejected by admin: not now" in final["error"]["message"]
    assert nodes.calls == [] and api.svc.hosts.get(op["host_id"])["state"] == "failed"


def test_a_listed_approver_may_approve(api):
    op = allocate(api)
    resp = call(api, "POST", f"/v1/operations/{op['id']}/approve", who="approver")
    assert resp.status_code == 202 and resp.json["operation"]["approval"]["by"] == "ops-lead"


@pytest.mark.parametrize("who,status", [("operator", 403), ("viewer", 403)])
def test_others_may_not_answer_an_approval(api, who, status):
    op = allocate(api)
    assert call(api, "POST", f"/v1/operations/{op['id']}/approve", who=who).status_code == status
    assert api.svc.operations.get(op["id"])["state"] == "awaiting_approval"


def test_answering_twice_is_a_conflict(api):
    op = allocate(api)
    call(api, "POST", f"/v1/operations/{op['id']}/approve")
    resp = call(api, "POST", f"/v1/operations/{op['id']}/reject")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "not_awaiting_approval"


def test_an_unanswered_approval_times_out_rejected(api):
    op = allocate(api)
    assert approvals.expire(api.svc, datetime.now(UTC) + timedelta(days=2)) == [op["id"]]
    final = run(api, op["id"])
    assert final["state"] == "rejected" and final["error"]["code"] == "approval_timed_out"


def test_an_approval_within_its_deadline_does_not_expire(api):
    allocate(api)
    assert approvals.expire(api.svc) == []


def test_a_rejected_reclaim_leaves_the_host_active(api):
    add_host(api, host_id="old")
    with api.svc.operations.db.session() as s:
        from infra.db.models import Host
        s.get(Host, "old").created_at = datetime.now(UTC) - timedelta(days=40)
    op_id = call(api, "DELETE", "/v1/hosts/old").json["operation"]["id"]
    call(api, "POST", f"/v1/operations/{op_id}/reject")
    assert run(api, op_id)["state"] == "rejected"
    assert api.svc.hosts.get("old")["state"] == "active"


# --- cancel ------------------------------------------------------------------------

def test_a_queued_operation_cancelled_ends_cancelled_having_run_nothing(api):
    op = allocate(api, env="test")
    resp = call(api, "POST", f"/v1/operations/{op['id']}/cancel")
    assert resp.status_code == 202 and resp.json["operation"]["cancel_requested_by"] == "admin"
    nodes = Nodes()
    final = run(api, op["id"], nodes)
    assert final["state"] == "cancelled" and final["error"]["code"] == "cancelled" and nodes.calls == []


def test_a_running_operation_stops_before_its_next_function_and_undoes_what_it_did(api):
    op = allocate(api, env="test")

    def cancel_during(function):
        if function == "ensure_root_disk":
            call(api, "POST", f"/v1/operations/{op['id']}/cancel")

    nodes = Nodes(on_step=cancel_during)
    final = run(api, op["id"], nodes)
    assert final["state"] == "cancelled"
    assert nodes.calls[-4:] == ["ensure_root_disk", "undo delete_instance_files", "undo release_ip",
                                "undo release_capacity"]
    assert "ensure_config_drive" not in nodes.calls
    assert api.svc.hosts.get(op["host_id"])["state"] == "failed"


def test_a_waiting_operation_cancelled_ends_cancelled(api):
    op = allocate(api)
    assert call(api, "POST", f"/v1/operations/{op['id']}/cancel").status_code == 202
    assert run(api, op["id"])["state"] == "cancelled"


def test_cancelling_an_ended_operation_is_a_conflict(api):
    op = allocate(api, env="test")
    run(api, op["id"])
    resp = call(api, "POST", f"/v1/operations/{op['id']}/cancel")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "not_cancellable"


def test_a_viewer_cannot_cancel(api):
    op = allocate(api, env="test")
    assert call(api, "POST", f"/v1/operations/{op['id']}/cancel", who="viewer").status_code == 403
    assert api.svc.operations.get(op["id"])["cancel_requested"] is None


def test_a_failure_is_not_reported_as_a_cancellation(api):
    op = allocate(api, env="test")

    def fail(function):
        if function == "allocate_ip":
            raise StepFailed("boom", code="injected")

    assert run(api, op["id"], Nodes(on_step=fail))["state"] == "rolled_back"


# --- housekeeping ------------------------------------------------------------------

def test_a_waiting_run_cancelled_in_the_prefect_ui_cancels_its_operation(api, monkeypatch):
    op = allocate(api)
    monkeypatch.setattr(prefect_runs, "state", lambda s, run_id: "CANCELLED")
    assert approvals.reconcile(api.svc)["cancelled"] == [op["id"]]
    assert run(api, op["id"])["state"] == "cancelled"


def test_a_run_left_suspended_after_the_answer_is_resumed(api, monkeypatch):
    op = allocate(api)
    monkeypatch.setattr(prefect_runs, "resume", lambda *a: (_ for _ in ()).throw(prefect_runs.PrefectUnavailable("x")))
    call(api, "POST", f"/v1/operations/{op['id']}/approve")
    resumed = []
    monkeypatch.setattr(prefect_runs, "resume", lambda s, run_id, data: resumed.append((run_id, data)))
    monkeypatch.setattr(prefect_runs, "state", lambda s, run_id: "PAUSED")
    assert approvals.reconcile(api.svc)["resumed"] == [op["id"]]
    assert resumed == [("run-1", {"approve": True, "note": ""})]


def test_a_run_still_waiting_is_left_alone(api, monkeypatch):
    allocate(api)
    monkeypatch.setattr(prefect_runs, "state", lambda s, run_id: "PAUSED")
    assert approvals.reconcile(api.svc) == {"expired": [], "cancelled": [], "resumed": []}


# --- Slack buttons -----------------------------------------------------------------

SLACK_SECRET = "slack-secret"


@pytest.fixture
def slack_api(api, monkeypatch):
    from dataclasses import replace
    users = {"slack:UADMIN": {"role": "admin", "projects": ["*"]},
             "slack:UDEV": {"role": "operator", "projects": ["default"]}}
    api.svc.settings = replace(api.svc.settings, slack_signing_secret=SLACK_SECRET, chat_users=json.dumps(users))
    return api


def click(api, op_id, action="approve", user="UADMIN", secret=SLACK_SECRET, timestamp=None):
    import time
    from urllib.parse import urlencode

    from webhooks.chat.slack import signature
    payload = {"type": "block_actions", "user": {"id": user, "username": user.lower()},
               "actions": [{"action_id": action, "value": op_id}], "response_url": "http://127.0.0.1:9/r"}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    ts = str(int(timestamp or time.time()))
    return api.post("/v1/webhooks/slack/interactive", data=body, content_type="application/x-www-form-urlencoded",
                    headers={"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature(secret, ts, body)})


def test_the_slack_approve_button_approves(slack_api):
    op = allocate(slack_api)
    resp = click(slack_api, op["id"])
    assert resp.status_code == 200 and "approved by uadmin" in resp.json["text"]
    assert slack_api.svc.operations.get(op["id"])["approval"]["by"] == "uadmin (slack:UADMIN)"


def test_the_slack_reject_button_rejects(slack_api):
    op = allocate(slack_api)
    click(slack_api, op["id"], action="reject")
    assert run(slack_api, op["id"])["state"] == "rejected"


def test_a_slack_user_who_is_no_approver_cannot_answer(slack_api):
    op = allocate(slack_api)
    assert "only an admin or a listed approver" in click(slack_api, op["id"], user="UDEV").json["text"]
    assert slack_api.svc.operations.get(op["id"])["state"] == "awaiting_approval"


@pytest.mark.parametrize("over", [{"secret": "wrong"}, {"timestamp": 1_000_000_000}])
def test_a_slack_click_badly_signed_or_stale_is_refused(slack_api, over):
    op = allocate(slack_api)
    assert click(slack_api, op["id"], **over).status_code == 401
    assert slack_api.svc.operations.get(op["id"])["state"] == "awaiting_approval"


def test_the_buttons_name_the_operation():
    from webhooks.chat.buttons import approval_blocks
    blocks = approval_blocks({"id": "op1", "kind": "allocate_host", "approval": {"reason": "prod"}})
    assert [b["action_id"] for b in blocks[1]["elements"]] == ["approve", "reject"]
    assert {b["value"] for b in blocks[1]["elements"]} == {"op1"}


# --- nobody approves their own request -----------------------------------------------

def test_an_approver_may_not_approve_its_own_request(api):
    op = allocate(api, who="approver")
    resp = call(api, "POST", f"/v1/operations/{op['id']}/approve", who="approver")
    assert resp.status_code == 403 and resp.json["error"]["code"] == "self_approval"
    assert api.svc.operations.get(op["id"])["state"] == "awaiting_approval" and api.queued == []


def test_an_approver_may_still_reject_its_own_request(api):
    op = allocate(api, who="approver")
    assert call(api, "POST", f"/v1/operations/{op['id']}/reject", who="approver").status_code == 202


def test_a_slack_approver_may_not_approve_its_own_request(slack_api):
    op = allocate(slack_api)
    with slack_api.svc.operations.db.session() as s:
        from infra.db.models import Operation
        s.get(Operation, op["id"]).requester = "uadmin (slack:UADMIN)"
    assert "may not approve it too" in click(slack_api, op["id"]).json["text"]
    assert slack_api.svc.operations.get(op["id"])["state"] == "awaiting_approval"
