"""A flow runner that dies mid-operation: housekeeping ends the operation `failed`
(worker_lost) so it can be retried, and leaves alone every operation still held by a
live runner or still queued. Real Redis (a database of its own) and SQLite."""
import os
from urllib.parse import urlsplit

import pytest
from rq.job import JobStatus

from flows.runner import stores
from infra.db import migrate
from infra.db.models import Host
from infra.queue import mark_alive, operation_job_id, queue, redis_from_url
from infra.settings import Settings
from workers.reaper import reap_lost_runs

REAPER_REDIS_DB = 14


@pytest.fixture
def settings(tmp_path):
    stack = urlsplit(os.environ.get("HOSTFLOW_REDIS_URL", "redis://127.0.0.1:6390/0"))
    settings = Settings.from_env({"HOSTFLOW_STATE_DIR": str(tmp_path),
                                  "HOSTFLOW_REDIS_URL": f"redis://{stack.netloc}/{REAPER_REDIS_DB}"})
    migrate.upgrade(settings.database_url)
    return settings


@pytest.fixture
def redis(settings):
    conn = redis_from_url(settings.redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()


def running(settings, key: str) -> str:
    """An allocation its runner took (attempt 1), with the host record it concerns."""
    st = stores(settings)
    with st.hosts.db.session() as s:
        s.add(Host(id=f"h-{key}", name=key, env="test", fqdn=f"{key}.test", state="building", image_id="i",
                   vcpus=1, ram_mb=256, disk_gb=1))
    op, _ = st.ops.create("allocate_host", key, {"name": key}, host_id=f"h-{key}")
    assert st.ops.transition(op["id"], {"queued"}, "running", attempts=1)
    return op["id"]


def job(redis, op_id: str, status=None, worker: str = ""):
    enqueued = queue(redis, "flows").enqueue("workers.jobs.run_operation", args=(op_id,),
                                             job_id=operation_job_id(op_id, 0))
    if status:
        enqueued.set_status(status)
        enqueued.worker_name = worker
        enqueued.save()
    return enqueued


def state(settings, op_id: str) -> dict:
    return stores(settings).ops.get(op_id)


def test_an_operation_whose_runner_died_ends_failed_worker_lost(settings, redis):
    op_id = running(settings, "dead")
    job(redis, op_id, JobStatus.STARTED, worker="flows-gone")
    assert reap_lost_runs(settings, redis) == [op_id]
    op = state(settings, op_id)
    assert op["state"] == "failed" and op["error"]["code"] == "worker_lost"
    assert stores(settings).hosts.get("h-dead")["state"] == "failed"


def test_an_operation_whose_job_failed_without_recording_its_end_ends_failed(settings, redis):
    op_id = running(settings, "crashed")
    job(redis, op_id, JobStatus.FAILED, worker="flows-1")
    assert reap_lost_runs(settings, redis) == [op_id]
    assert state(settings, op_id)["state"] == "failed"


def test_an_operation_run_outside_the_queue_is_left_running(settings, redis):
    running(settings, "inprocess")
    assert reap_lost_runs(settings, redis) == []


def test_an_operation_held_by_a_live_runner_is_left_running(settings, redis):
    op_id = running(settings, "alive")
    job(redis, op_id, JobStatus.STARTED, worker="flows-1")
    mark_alive(redis, "flows-1", ["flows"])
    assert reap_lost_runs(settings, redis) == []
    assert state(settings, op_id)["state"] == "running"


def test_an_operation_whose_job_waits_in_the_queue_is_left_running(settings, redis):
    op_id = running(settings, "waiting")
    job(redis, op_id)
    assert reap_lost_runs(settings, redis) == []


def test_a_reaped_operation_can_be_retried(settings, redis):
    op_id = running(settings, "again")
    job(redis, op_id, JobStatus.STARTED, worker="flows-gone")
    reap_lost_runs(settings, redis)
    assert stores(settings).ops.reopen_for_retry(op_id)["state"] == "queued"
