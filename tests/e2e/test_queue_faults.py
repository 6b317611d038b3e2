"""The queue's faults, against the running stack: Redis stopped and started again (what
was accepted meanwhile runs once it is back, and no worker process is lost), and a
node gone while a step waits for it (the step, left on its queue, does nothing when
the node comes back: its operation's run has ended)."""
import pytest
from rq.job import Job
from rq.serializers import JSONSerializer

from infra.queue import node_job_id, redis_from_url
from tests.e2e.conftest import NOTHING, leftovers, service_pid, stack_up, stop_service, unique_name, wait_for

WORKERS = ("worker-flows", "worker-flows2", "worker-control", "worker-hv1", "worker-hv2")


def worker_pids() -> dict[str, int]:
    return {w: service_pid(w) for w in WORKERS}


def reclaim(api, host_id: str) -> None:
    op = api.wait(api.delete(f"/v1/hosts/{host_id}").json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]


def test_an_allocation_accepted_while_redis_is_down_runs_once_it_is_back(api):
    before = worker_pids()
    stop_service("redis")
    try:
        accepted = api.allocate(unique_name("e2e"))
    finally:
        stack_up()
    assert accepted["operation"]["state"] == "queued"
    op = api.wait(accepted["operation"]["id"], timeout=240)
    assert op["state"] == "succeeded", op["error"]
    assert worker_pids() == before
    reclaim(api, accepted["host"]["id"])


@pytest.fixture
def hv2_stopped():
    stop_service("worker-hv2")
    yield
    stack_up()


def test_a_step_left_queued_for_a_node_that_was_gone_does_nothing_when_it_is_back(api, settings, libvirt,
                                                                                    hv2_stopped):
    accepted = api.allocate(unique_name("e2e"), hypervisor="hv2")
    op = api.wait(accepted["operation"]["id"], timeout=120)
    assert op["state"] == "failed" and op["error"]["code"] == "node_unavailable", op
    [waiting] = [s["name"] for s in op["steps"] if s["state"] == "failed"]
    redis = redis_from_url(settings.redis_url)
    job = Job.fetch(node_job_id("hv2", f"{op['id']}_{waiting}"), connection=redis, serializer=JSONSerializer)
    stack_up()
    result = wait_for(job.latest_result, f"the node's answer to {job.id}", timeout=60)
    assert result.return_value["error"]["code"] == "stale_job"
    reclaim(api, accepted["host"]["id"])
    assert leftovers(settings, libvirt, accepted["host"]["id"]) == NOTHING
