"""The RQ dispatcher against the stack's real Redis."""
import uuid

import pytest

from infra import queue as rq_queue
from infra.errors import WorkerLost
from infra.settings import Settings


@pytest.fixture
def redis():
    client = rq_queue.redis_from_url(Settings.from_env().redis_url)
    yield client
    client.close()


def test_a_step_for_a_node_no_worker_serves_fails_as_node_unavailable(redis, monkeypatch):
    monkeypatch.setattr(rq_queue, "NO_WORKER_GRACE", 1)
    name = f"hv.nowhere-{uuid.uuid4().hex[:6]}"
    dispatcher = rq_queue.RqDispatcher(redis, step_timeout=30)
    with pytest.raises(WorkerLost) as info:
        dispatcher.run(name, f"test_{uuid.uuid4().hex}", "ensure_running", {"host_id": "x"})
    assert info.value.code == "node_unavailable"
    rq_queue.queue(redis, name).empty()


def test_a_step_on_a_nodes_queue_carries_the_node_first_in_its_job_id(redis, monkeypatch):
    """So the node's Redis user can be given its own jobs' keys only (`~rq:job:<node>__*`)."""
    monkeypatch.setattr(rq_queue, "NO_WORKER_GRACE", 1)
    node, step_id = f"nowhere-{uuid.uuid4().hex[:6]}", f"test_{uuid.uuid4().hex}"
    with pytest.raises(WorkerLost):
        rq_queue.RqDispatcher(redis, step_timeout=30).run(f"hv.{node}", step_id, "ensure_running", {"host_id": "x"})
    q = rq_queue.queue(redis, f"hv.{node}")
    assert q.job_ids == [f"{node}__{step_id}"]
    q.empty()


def test_a_live_worker_mark_names_its_queues(redis):
    worker = f"test-{uuid.uuid4().hex[:6]}"
    rq_queue.mark_alive(redis, worker, ["hv.test-a", "control"])
    assert rq_queue.is_alive(redis, worker)
    assert rq_queue.serves(redis, "hv.test-a") and not rq_queue.serves(redis, "hv.test-b")
    redis.delete(rq_queue.ALIVE_PREFIX + worker)
