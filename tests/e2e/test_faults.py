"""Faults: every allocate step failing in turn, before it acts and after it acted, leaves
nothing behind (and nothing the drift report finds); a hypervisor worker killed
mid-allocation is resumed by a retry to exactly one domain."""
import os
import signal
import subprocess

import pytest

from flows import allocate_host
from flows.runner import run_operation
from infra.errors import StepFailed
from infra.queue import RqDispatcher, job_id_on
from operations import drift
from operations.bootstrap import api_services
from operations.hosts import submit_allocate
from operations.origin import Origin
from operations.requests import AllocateHost, CreateVolume
from operations.volumes import submit_create_volume, submit_delete_volume
from tests.e2e.conftest import NOTHING, REPO, leftovers, unique_name
from tests.e2e.test_volumes import volume_file
from tests.fakes import RecordingQueue


class FailAt:
    """The real dispatcher, except that one step fails as its node would report it."""

    def __init__(self, inner, function: str):
        self.inner, self.function = inner, function

    def run(self, queue, job_id, function, request, reuse=True, mode="do"):
        if function == self.function and not job_id.endswith("_undo"):
            raise StepFailed(f"injected fault in {function}", code="injected_fault")
        return self.inner.run(queue, job_id, function, request, reuse=reuse, mode=mode)


class FailAfter(FailAt):
    """The real dispatcher, except that one step acts on its node and is then reported
    failed (a timeout or a lost answer after the act)."""

    def run(self, queue, job_id, function, request, reuse=True, mode="do", **kw):
        outcome = self.inner.run(queue, job_id, function, request, reuse=reuse, mode=mode, **kw)
        if function == self.function and not job_id.endswith("_undo"):
            raise StepFailed(f"injected fault after {function} acted", code="injected_fault")
        return outcome


@pytest.fixture(scope="module")
def services(settings):
    return api_services(settings)


def record_allocation(services, monkeypatch) -> dict:
    """Records an allocate operation as the API does, without handing it to the flows worker."""
    monkeypatch.setattr(services, "queue", RecordingQueue())
    body = AllocateHost(name=unique_name("fault"), env="test", image="hostflow-test",
                        flavor={"vcpus": 1, "ram_mb": 256, "disk_gb": 1})
    op, _ = submit_allocate(services, body, Origin("test", "test"))
    return op


def fail_allocation(services, settings, monkeypatch, fault: type[FailAt], failing: str) -> tuple[dict, dict]:
    """An allocation run with `fault` injected at the step `failing`: (operation as
    recorded, operation as it ended)."""
    op = record_allocation(services, monkeypatch)
    run_operation(op["id"], settings, dispatcher=fault(RqDispatcher(services.redis, settings.step_timeout), failing))
    return op, services.operations.get(op["id"])


@pytest.mark.parametrize("failing", [s.function for s in allocate_host.STEPS])
def test_a_failing_step_leaves_nothing_behind(failing, services, settings, libvirt, monkeypatch):
    op, final = fail_allocation(services, settings, monkeypatch, FailAt, failing)
    assert final["error"]["code"] == "injected_fault"
    assert final["state"] == ("failed" if failing == "claim_capacity" else "rolled_back")
    assert leftovers(settings, libvirt, op["host_id"]) == NOTHING
    assert services.hosts.get(op["host_id"])["state"] == "failed"


@pytest.mark.parametrize("failing", list(dict.fromkeys(s.function for s in allocate_host.STEPS)))
def test_a_step_failing_after_it_acted_leaves_nothing_behind(failing, services, settings, libvirt, monkeypatch):
    op, final = fail_allocation(services, settings, monkeypatch, FailAfter, failing)
    assert final["error"]["code"] == "injected_fault"
    assert leftovers(settings, libvirt, op["host_id"]) == NOTHING
    assert [f["kind"] for f in drift.report(services)["findings"] if f["host_id"] == op["host_id"]] == []


def _node_has_taken(redis, step: str):
    """True once the node's worker has taken the step's job (not merely queued)."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus
    from rq.serializers import JSONSerializer

    def check(op: dict) -> bool:
        if not any(s["name"] == step and s["state"] == "running" for s in op["steps"]):
            return False
        node = next(s["node"] for s in op["steps"] if s["name"] == step)
        try:
            job = Job.fetch(job_id_on(node, f"{op['id']}_{step}"), connection=redis, serializer=JSONSerializer)
        except NoSuchJobError:
            return False  # the step is journalled running a moment before its job is queued
        return job.get_status() == JobStatus.STARTED

    return check


def _kill_worker_of(op: dict, step: str) -> None:
    node = next(s["node"] for s in op["steps"] if s["name"] == step).removeprefix("hv.")
    os.kill(int((REPO / ".hostflow" / "run" / f"worker-{node}.pid").read_text()), signal.SIGKILL)


def _restart_stack() -> None:
    subprocess.run(["bash", str(REPO / "scripts" / "stack.sh"), "up"], check=True, capture_output=True)


def _domains_of(libvirt, stack: str, host_id: str) -> int:
    return sum(1 for name in libvirt.domains_marked(stack) if libvirt.marks(name).get("host") == host_id)


def test_killed_worker_then_retry_completes_with_one_domain(api, settings, libvirt, services):
    accepted = api.allocate(unique_name("kill"))
    op_id, host_id = accepted["operation"]["id"], accepted["host"]["id"]
    _kill_worker_of(api.wait(op_id, until=_node_has_taken(services.redis, "wait_guest_up"), timeout=120),
                    "wait_guest_up")

    failed = api.wait(op_id, timeout=60)
    assert failed["state"] == "failed" and failed["error"]["code"] == "worker_lost"
    _restart_stack()
    assert api.post(f"/v1/operations/{op_id}/retry").status_code == 202

    done = api.wait(op_id, timeout=120)
    assert done["state"] == "succeeded", done["error"]
    assert done["attempts"] == 2
    assert _domains_of(libvirt, settings.stack_id, host_id) == 1
    reclaim = api.wait(api.delete(f"/v1/hosts/{host_id}").json()["operation"]["id"])
    assert reclaim["state"] == "succeeded"
    assert leftovers(settings, libvirt, host_id) == NOTHING


def test_killed_worker_during_attach_then_retry_gives_exactly_one_attachment(api, settings, libvirt, services):
    host_op = api.wait(api.allocate(unique_name("kill"))["operation"]["id"])
    host = api.get(f"/v1/hosts/{host_op['host_id']}").json()["host"]
    created = api.post("/v1/volumes", {"name": unique_name("kill"), "size_gb": 1, "env": "test",
                                       "hypervisor": host["hypervisor"]}).json()
    volume_id = created["volume"]["id"]
    assert api.wait(created["operation"]["id"])["state"] == "succeeded"
    libvirt.pause(f"hf-{host['id']}")  # a frozen guest cannot list the disk: the step is still waiting when killed
    op_id = api.post(f"/v1/hosts/{host['id']}/volumes", {"volume_id": volume_id}).json()["operation"]["id"]
    _kill_worker_of(api.wait(op_id, until=_node_has_taken(services.redis, "wait_volume_visible"), timeout=60),
                    "wait_volume_visible")

    failed = api.wait(op_id, timeout=60)
    assert failed["state"] == "failed" and failed["error"]["code"] == "worker_lost"
    assert api.get(f"/v1/volumes/{volume_id}").json()["volume"]["state"] == "reserved"
    libvirt.unpause(f"hf-{host['id']}")
    _restart_stack()
    assert api.post(f"/v1/operations/{op_id}/retry").status_code == 202

    done = api.wait(op_id, timeout=60)
    assert done["state"] == "succeeded", done["error"]
    path = str(settings.state_dir / "nodes" / host["hypervisor"] / "volumes" / f"vol-{volume_id}.raw")
    for live in (True, False):
        assert [d["source"] for d in libvirt.disks(f"hf-{host['id']}", live=live)].count(path) == 1
    assert api.get(f"/v1/volumes/{volume_id}").json()["volume"]["state"] == "in-use"
    api.wait(api.delete(f"/v1/hosts/{host['id']}").json()["operation"]["id"])
    api.wait(api.delete(f"/v1/volumes/{volume_id}").json()["operation"]["id"])


def _fail_once(services, settings, op: dict, function: str) -> dict:
    """Runs the recorded operation with `function` failing on its node; returns the failed operation."""
    run_operation(op["id"], settings, dispatcher=FailAt(RqDispatcher(services.redis, settings.step_timeout), function))
    failed = services.operations.get(op["id"])
    assert failed["state"] == "failed" and failed["error"]["code"] == "injected_fault"
    return failed


def test_failed_create_and_delete_volume_are_retried_to_the_end(api, settings, services, monkeypatch):
    monkeypatch.setattr(services, "queue", RecordingQueue())  # recorded, run here
    body = CreateVolume(name=unique_name("fault"), size_gb=1, env="test")
    create = _fail_once(services, settings, submit_create_volume(services, body, Origin("test", "test")),
                        "ensure_volume")
    volume = services.volumes.get(create["volume_id"])
    assert volume["state"] == "error" and not volume_file(settings, volume).exists()

    assert api.post(f"/v1/operations/{create['id']}/retry").status_code == 202
    done = api.wait(create["id"], timeout=60)
    assert done["state"] == "succeeded" and done["attempts"] == 2, done["error"]
    assert services.volumes.get(volume["id"])["state"] == "available"
    assert volume_file(settings, volume).stat().st_size == 1 << 30

    delete = _fail_once(services, settings, submit_delete_volume(services, volume["id"], Origin("test", "test")),
                        "delete_volume")
    assert services.volumes.get(volume["id"])["state"] == "error" and volume_file(settings, volume).exists()
    assert api.post(f"/v1/operations/{delete['id']}/retry").status_code == 202
    assert api.wait(delete["id"], timeout=60)["state"] == "succeeded"
    assert services.volumes.get(volume["id"])["state"] == "deleted"
    assert not volume_file(settings, volume).exists()
