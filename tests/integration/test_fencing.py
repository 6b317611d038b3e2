"""Fenced node jobs against the stack's real Redis: a job of an operation attempt that
no longer runs does nothing on its node and says so, and a retry's step replaces a job
an earlier attempt left queued."""
import uuid

import pytest
from rq.job import Job
from rq.serializers import JSONSerializer

from infra import fencing
from infra import queue as rq_queue
from infra.settings import Settings
from workers.process import make_worker


@pytest.fixture
def redis():
    client = rq_queue.redis_from_url(Settings.from_env().redis_url)
    yield client
    client.close()


@pytest.fixture
def node(redis):
    name = f"fence-{uuid.uuid4().hex[:6]}"
    yield name
    rq_queue.queue(redis, f"hv.{name}").empty()


def queue_step(redis, node: str, fence: fencing.Fence) -> Job:
    return rq_queue.queue(redis, f"hv.{node}").enqueue(
        rq_queue.JOB_FUNCTION, args=("ensure_running", {"host_id": "x"}, "do", fence.to_arg()),
        job_id=rq_queue.node_job_id(node, f"{fence.operation}_ensure_running"))


def work_once(redis, node: str) -> None:
    make_worker(redis, "hv", node, f"hv-{node}-test", 30).work(burst=True)


def test_a_job_of_an_operation_whose_run_ended_does_nothing_and_says_so(redis, node):
    fence = fencing.Fence(f"op-{uuid.uuid4().hex}", 1)
    fencing.hold(redis, fence)
    job = queue_step(redis, node, fence)
    fencing.end(redis, fence.operation)
    work_once(redis, node)
    error = job.latest_result().return_value["error"]
    assert error["code"] == "stale_job" and "has ended: not run" in error["message"]


def test_a_job_of_an_earlier_attempt_does_nothing_while_a_retry_runs(redis, node):
    old = fencing.Fence(f"op-{uuid.uuid4().hex}", 1)
    job = queue_step(redis, node, old)
    fencing.hold(redis, fencing.Fence(old.operation, 2))
    work_once(redis, node)
    assert job.latest_result().return_value["error"]["message"].endswith("which runs attempt 2: not run")


def test_a_retrys_step_replaces_the_job_an_earlier_attempt_left_queued(redis, node, monkeypatch):
    monkeypatch.setattr(rq_queue, "NO_WORKER_GRACE", 0.5)
    op = f"op-{uuid.uuid4().hex}"
    queue_step(redis, node, fencing.Fence(op, 1))
    with fencing.fenced(redis, op, 2), pytest.raises(rq_queue.WorkerLost):
        rq_queue.RqDispatcher(redis, step_timeout=30).run(f"hv.{node}", f"{op}_ensure_running", "ensure_running",
                                                          {"host_id": "x"})
    [job_id] = rq_queue.queue(redis, f"hv.{node}").job_ids
    assert Job.fetch(job_id, connection=redis, serializer=JSONSerializer).args[3] == {"operation": op, "attempt": 2}


def test_a_run_leaves_its_operations_fence_ended(redis):
    op = f"op-{uuid.uuid4().hex}"
    with fencing.fenced(redis, op, 1):
        fencing.hold(redis, fencing.current())
    assert fencing.refusal(redis, fencing.Fence(op, 1)).code == "stale_job"
