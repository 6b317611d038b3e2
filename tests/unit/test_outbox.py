"""The outbox: an accepted operation is recorded with its entry in one transaction and
handed to the queue until a flow runner takes it, whatever fails in between."""
from dataclasses import replace
from datetime import timedelta

import pytest

from flows.runner import run_operation
from infra.db.models import utcnow
from infra.errors import StepFailed
from operations import outbox
from tests.unit.test_approvals import ALLOCATE, Nodes, allocate, call, make_api

LATER = timedelta(seconds=outbox.SWEEP_GRACE_S + 1)


@pytest.fixture
def api(tmp_path, monkeypatch):
    return make_api(tmp_path, monkeypatch)


def sweep_later(api) -> dict:
    """The housekeeping sweep, as it runs once the request's own relay had its grace."""
    moved = utcnow() + LATER
    api.svc.outbox.pending = lambda older_than, limit=200, real=api.svc.outbox.pending: real(moved, limit)
    return outbox.sweep(api.svc)


def record_without_relay(api, **over) -> dict:
    """An operation committed with its entry, the API gone before it relayed it."""
    op, _ = api.svc.operations.create("allocate_host", "k1", {**ALLOCATE, **over}, start=True)
    return op


def test_a_new_operation_is_queued_with_its_entry_kept_until_a_runner_takes_it(api):
    op = allocate(api, env="test")
    assert api.svc.queue.attempts == [(op["id"], 0)]
    assert [e["attempt"] for e in api.svc.outbox.entries(op["id"])] == [0]


def test_a_runner_taking_the_operation_removes_its_entry(api):
    op = allocate(api, env="test")
    run_operation(op["id"], api.svc.settings, dispatcher=Nodes(), prefect=False)
    assert api.svc.outbox.entries(op["id"]) == []


def test_the_queue_down_leaves_the_entry_with_why(api):
    api.svc.queue.down = True
    op = allocate(api, env="test")
    assert op["state"] == "queued"
    [entry] = api.svc.outbox.entries(op["id"])
    assert entry["last_error"] == "redis: connection refused" and entry["tries"] == 1


def test_the_sweep_hands_over_what_the_queue_refused_once_it_is_back(api):
    api.svc.queue.down = True
    op = allocate(api, env="test")
    api.svc.queue.down = False
    assert sweep_later(api) == {"queued": [op["id"]]}
    assert api.svc.queue.attempts == [(op["id"], 0)]


def test_the_sweep_relays_an_entry_whose_request_died_after_the_commit(api):
    op = record_without_relay(api, env="test")
    assert api.svc.queue.attempts == []
    sweep_later(api)
    assert api.svc.queue.attempts == [(op["id"], 0)]


def test_the_sweep_leaves_entries_younger_than_the_requests_own_relay(api):
    record_without_relay(api, env="test")
    assert outbox.sweep(api.svc) == {}


def test_the_sweep_asks_the_approval_policy_first(api):
    op = record_without_relay(api, env="prod")
    assert sweep_later(api) == {"held": [op["id"]]}
    assert api.svc.operations.get(op["id"])["state"] == "awaiting_approval"
    assert api.svc.queue.attempts == [] and api.svc.outbox.entries(op["id"]) == []


def test_approving_commits_a_new_entry_and_relays_it(api):
    op = allocate(api, env="prod")
    assert call(api, "POST", f"/v1/operations/{op['id']}/approve", {}, who="approver").status_code == 202
    assert api.svc.queue.attempts == [(op["id"], 0)]
    assert [e["gate"] for e in api.svc.outbox.entries(op["id"])] == [False]


def test_an_entry_of_an_operation_no_longer_queued_is_dropped(api):
    op = record_without_relay(api, env="test")
    api.svc.operations.transition(op["id"], {"queued"}, "failed", error_code="x")
    assert sweep_later(api) == {"dropped": [op["id"]]}
    assert api.svc.outbox.entries(op["id"]) == [] and api.svc.queue.attempts == []


def test_an_entry_another_relay_holds_is_left_to_it(api):
    op = record_without_relay(api, env="test")
    assert api.svc.outbox.claim(op["id"], 0, lease_s=30) is not None
    assert outbox.relay(api.svc, op["id"], 0) == "busy"
    assert api.svc.queue.attempts == []


def test_a_claim_whose_relay_died_expires(api):
    op = record_without_relay(api, env="test")
    api.svc.outbox.claim(op["id"], 0, lease_s=30)
    assert api.svc.outbox.claim(op["id"], 0, lease_s=30, now=utcnow() + timedelta(seconds=31)) is not None


def test_a_retry_commits_the_entry_of_its_attempt(api):
    op = allocate(api, env="test")
    run_operation(op["id"], api.svc.settings, dispatcher=Nodes(on_step=fail_every_step()), prefect=False)
    assert call(api, "POST", f"/v1/operations/{op['id']}/retry").status_code == 202
    assert api.svc.queue.attempts[-1] == (op["id"], 1)
    assert [e["attempt"] for e in api.svc.outbox.entries(op["id"])] == [1]


def fail_every_step():
    def on_step(function):
        raise StepFailed("injected", code="injected_fault")

    return on_step


def test_the_outbox_summary_counts_what_waits(api):
    api.svc.queue.down = True
    allocate(api, env="test")
    assert api.svc.outbox.summary()["pending"] == 1


def test_with_prefect_unreachable_a_runner_leaves_the_operation_queued_for_the_outbox(api):
    op = allocate(api, env="test")
    settings = replace(api.svc.settings, prefect_api_url="http://127.0.0.1:1/api")
    assert run_operation(op["id"], settings, dispatcher=Nodes(), prefect=True) == {"skipped": "prefect_unavailable"}
    assert api.svc.operations.get(op["id"])["state"] == "queued"
    assert [e["attempt"] for e in api.svc.outbox.entries(op["id"])] == [0]
