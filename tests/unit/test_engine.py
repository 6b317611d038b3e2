"""Flow logic with a fake dispatcher: compensation order, resume, worker loss."""
import pytest

from flows import allocate_host
from flows.engine import FlowFailed, Runtime, run_steps, runtime_var
from infra.db.operations import OperationStore
from infra.errors import OutcomeUnknown, StepFailed, WorkerLost

STEP_NAMES = [s.name for s in allocate_host.STEPS]
STEP_FUNCTIONS = [s.function for s in allocate_host.STEPS]  # DNS steps share ensure_record
OUTCOME_DATA = {
    "claim_capacity": {"hypervisor": "hv1"},
    "allocate_ip": {"lease": {"mac": "52:54:00:00:00:01", "cidr": "10.0.0.5/24", "address": "10.0.0.5",
                              "gateway": "10.0.0.1", "network": "vm"}},
    "wait_guest_up": {"guest": {"hostname": "web1"}},
}


class FakeDispatcher:
    def __init__(self, fail_at=None, error=None):
        self.calls, self.fail_at, self.error = [], fail_at, error

    def run(self, queue, job_id, function, request, reuse=True, mode="do"):
        self.calls.append((queue, job_id, function))
        if self.fail_at in (function, job_id.removeprefix("op_")):
            raise self.error or StepFailed("injected", code="injected")
        return {"ok": True, "outcome": {"changed": True, "before": None, "after": "x", "note": "",
                                        "data": OUTCOME_DATA.get(function, {})}}


def ctx():
    return {"operation_id": "op", "host_id": "h1", "name": "web1", "fqdn": "web1.test.cloud.internal",
            "project": "p", "bridge": "br",
            "flavor": {"vcpus": 1, "ram_mb": 128, "disk_gb": 1}, "ssh_keys": [],
            "root_image": {"id": "i", "sha512": "ab" * 64, "location": "/x", "disk_format": "qcow2"},
            "images": [], "boot": {}}


@pytest.fixture
def ops(db):
    store = OperationStore(db)
    store.create("allocate_host", "k1", {"a": 1}, op_id="op")
    return store


def run(ops, dispatcher):
    token = runtime_var.set(Runtime(dispatcher, ops, prefect=False))
    try:
        return run_steps("op", allocate_host.STEPS, ctx())
    finally:
        runtime_var.reset(token)


def test_all_steps_run_in_order_on_their_nodes(ops):
    d = FakeDispatcher()
    result = run(ops, d)
    assert [c[2] for c in d.calls] == STEP_FUNCTIONS
    assert d.calls[0][0] == "control" and d.calls[2][0] == "hv.hv1"
    assert result["hypervisor"] == "hv1" and result["lease"]["cidr"] == "10.0.0.5/24"


def test_job_ids_are_operation_and_step(ops):
    d = FakeDispatcher()
    run(ops, d)
    assert d.calls[0][1] == "op_claim_capacity"


@pytest.mark.parametrize("failing", STEP_NAMES)
def test_failure_undoes_the_failed_step_then_the_completed_ones_in_reverse(ops, failing):
    d = FakeDispatcher(fail_at=failing)
    with pytest.raises(FlowFailed) as info:
        run(ops, d)
    done = STEP_NAMES[:STEP_NAMES.index(failing)]
    undos = [s.undo for s in reversed(allocate_host.STEPS) if (s.name in done or s.name == failing) and s.undo]
    called_after = [c[2] for c in d.calls[len(done) + 1:]]
    assert called_after == undos
    assert info.value.rolled_back == bool(done)
    assert ops.done_outcomes("op") == {}


def test_the_first_step_failing_is_undone_and_nothing_is_rolled_back(ops):
    with pytest.raises(FlowFailed) as info:
        run(ops, FakeDispatcher(fail_at="claim_capacity"))
    assert not info.value.rolled_back
    steps = {(s["name"], s["direction"]): s["state"] for s in ops.steps("op")}
    assert steps == {("claim_capacity", "do"): "failed", ("claim_capacity", "undo"): "succeeded"}


def test_journal_records_failure_code(ops):
    with pytest.raises(FlowFailed):
        run(ops, FakeDispatcher(fail_at="ensure_running"))
    steps = {(s["name"], s["direction"]): s for s in ops.steps("op")}
    assert steps[("ensure_running", "do")]["error"]["code"] == "injected"
    assert steps[("ensure_domain_defined", "undo")]["state"] == "succeeded"
    assert steps[("ensure_domain_defined", "do")]["state"] == "compensated"


def test_journal_keeps_a_failed_steps_details(ops):
    error = StepFailed("not up", code="guest_not_ready", details={"console_tail": "Kernel panic"})
    with pytest.raises(FlowFailed):
        run(ops, FakeDispatcher(fail_at="wait_guest_up", error=error))
    [step] = [s for s in ops.steps("op") if s["name"] == "wait_guest_up"]
    assert step["error"] == {"code": "guest_not_ready", "message": "not up",
                             "details": {"console_tail": "Kernel panic"}}


def test_worker_loss_leaves_steps_for_resume(ops):
    d = FakeDispatcher(fail_at="ensure_root_disk", error=WorkerLost("gone"))
    with pytest.raises(FlowFailed) as info:
        run(ops, d)
    assert not info.value.rolled_back
    assert set(ops.done_outcomes("op")) == {"claim_capacity", "allocate_ip", "ensure_networks", "ensure_image_cached"}
    assert not any(c[1].endswith("_undo") for c in d.calls)


def test_a_library_error_escaping_a_step_compensates_what_was_done(ops):
    d = FakeDispatcher(fail_at="ensure_root_disk", error=RuntimeError("prefect: task run state unknown"))
    with pytest.raises(FlowFailed) as info:
        run(ops, d)
    assert info.value.rolled_back and info.value.code == "internal_error"
    assert [c[2] for c in d.calls if c[1].endswith("_undo")] == [
        "delete_instance_files", "release_ip", "release_capacity"]
    assert ops.done_outcomes("op") == {}


def test_a_lost_queue_while_waiting_leaves_the_outcome_unknown_and_compensates_nothing(ops):
    d = FakeDispatcher(fail_at="ensure_domain_defined", error=OutcomeUnknown("redis was lost"))
    with pytest.raises(FlowFailed) as info:
        run(ops, d)
    assert not info.value.rolled_back and info.value.code == "outcome_unknown"
    assert not any(c[1].endswith("_undo") for c in d.calls)
    assert "ensure_root_disk" in ops.done_outcomes("op")


def test_resume_skips_steps_journalled_done(ops):
    with pytest.raises(FlowFailed):
        run(ops, FakeDispatcher(fail_at="ensure_root_disk", error=WorkerLost("gone")))
    d = FakeDispatcher()
    result = run(ops, d)
    assert [c[2] for c in d.calls] == STEP_FUNCTIONS[STEP_NAMES.index("ensure_root_disk"):]
    assert result["hypervisor"] == "hv1"


def test_a_step_left_running_may_reuse_its_finished_job(ops):
    ops.step_started("op", 0, "claim_capacity", "do", "control")
    reuses = []

    class Recording(FakeDispatcher):
        def run(self, queue, job_id, function, request, reuse=True, mode="do"):
            reuses.append((function, reuse))
            return super().run(queue, job_id, function, request, reuse, mode)

    run(ops, Recording())
    assert reuses[0] == ("claim_capacity", True) and reuses[1] == ("allocate_ip", False)
