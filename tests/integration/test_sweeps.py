"""The control plane's sweeps on the stack's real Redis (a database of its own, which no
stack worker serves), run by a real control worker in burst mode in this process: a
sweep that fails records its error and the next still records its success; a sweep
already queued or running is not queued again. SQLite in a temporary directory."""
import os
import threading
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from infra.db import migrate
from infra.db.engine import database
from infra.health_probes import Probes
from infra.queue import mark_alive, queue, redis_from_url
from infra.sweep_records import SweepRecords
from operations.health import sweep_problem, sweep_view
from workers import sweep_scheduler, sweeps
from workers.process import make_worker
from workers.sweep_scheduler import SWEEP_JOB, job_id, queue_sweep
from workers.sweeps import Sweep, by_name

SWEEP_REDIS_DB = 11


def swift_down(_svc):
    raise ConnectionError("could not reach the object store")


@pytest.fixture
def redis(monkeypatch, tmp_path):
    """Redis db 11, emptied; the sweeps' jobs read these settings from the environment."""
    stack = urlsplit(os.environ.get("HOSTFLOW_REDIS_URL", "redis://127.0.0.1:6390/0"))
    url = f"redis://{stack.netloc}/{SWEEP_REDIS_DB}"
    monkeypatch.setenv("HOSTFLOW_REDIS_URL", url)
    monkeypatch.setenv("HOSTFLOW_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HOSTFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'sweeps.db'}")
    migrate.upgrade(f"sqlite:///{tmp_path / 'sweeps.db'}")
    conn = redis_from_url(url)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
def table(monkeypatch):
    """The sweeps the control worker runs: one failing, one not."""
    monkeypatch.setattr(sweeps, "SWEEPS", by_name((Sweep("broken", swift_down), Sweep("fine", lambda _svc: ["i1"]))))


def control_worker_runs_what_is_queued(redis) -> None:
    make_worker(redis, "control", "", "itest-control-sweeps", 15).work(burst=True, with_scheduler=False,
                                                                       logging_level="WARNING")


def test_a_failing_sweep_records_its_error_and_the_next_still_records_its_success(redis, table):
    records = SweepRecords(redis)
    records.publish({"broken": 60, "fine": 60}, datetime.now(UTC))
    assert queue_sweep(redis, records, "broken", 60, 30) and queue_sweep(redis, records, "fine", 60, 30)

    control_worker_runs_what_is_queued(redis)

    broken, fine = records.read("broken"), records.read("fine")
    assert broken["last_outcome"] == "failed" and "last_success" not in broken
    assert broken["last_error"] == "ConnectionError: could not reach the object store"
    assert fine["last_outcome"] == "succeeded" and fine["last_result"] == '["i1"]' and "last_error" not in fine
    now = datetime.now(UTC)
    seen = Probes(database(os.environ["HOSTFLOW_DATABASE_URL"]), os.environ["HOSTFLOW_REDIS_URL"], "").sweeps()
    assert sweep_problem("broken", sweep_view(seen["broken"], now), now).startswith("sweep broken failed at ")
    assert sweep_problem("fine", sweep_view(seen["fine"], now), now) is None


def test_a_sweep_queued_twice_is_queued_once(redis):
    records = SweepRecords(redis)
    assert queue_sweep(redis, records, "reports", 60, 30) is True
    assert queue_sweep(redis, records, "reports", 60, 30) is False
    assert queue(redis, "control").job_ids == [job_id("reports")]
    assert "last_queued" in records.read("reports")


def test_a_sweep_that_ran_is_queued_again(redis, table):
    records = SweepRecords(redis)
    queue_sweep(redis, records, "fine", 60, 30)
    control_worker_runs_what_is_queued(redis)
    assert queue_sweep(redis, records, "fine", 60, 30) is True
    assert queue(redis, "control").job_ids == [job_id("fine")]


def started_by(redis, worker: str) -> None:
    """The sweep `reports` as a worker named `worker` leaves it once it has taken it."""
    queue(redis, "control").enqueue(SWEEP_JOB, args=("reports",), job_id=job_id("reports"))
    queue(redis, "control").remove(job_id("reports"))
    job = Job.fetch(job_id("reports"), connection=redis, serializer=JSONSerializer)
    job.set_status(JobStatus.STARTED)
    job.worker_name = worker
    job.save()


def test_a_sweep_running_on_a_live_worker_is_not_queued_again(redis):
    mark_alive(redis, "control-main-1", ["control"])
    started_by(redis, "control-main-1")
    assert queue_sweep(redis, SweepRecords(redis), "reports", 60, 30) is False
    assert queue(redis, "control").job_ids == []


def test_a_sweep_left_started_by_a_dead_worker_is_queued_again(redis):
    started_by(redis, "control-main-gone")
    assert queue_sweep(redis, SweepRecords(redis), "reports", 60, 30) is True
    assert queue(redis, "control").job_ids == [job_id("reports")]


def test_the_scheduler_publishes_its_schedule_and_queues_each_sweep_once(redis):
    stop = threading.Event()
    thread = threading.Thread(target=sweep_scheduler.run_forever,
                              args=(redis, {"reports": 60, "approvals": 60}, {}, stop))
    thread.start()
    time.sleep(2.5)  # the start, and two more ticks with nothing due
    stop.set()
    thread.join(timeout=5)
    assert SweepRecords(redis).schedule() == {"reports": 60, "approvals": 60}
    assert sorted(queue(redis, "control").job_ids) == [job_id("approvals"), job_id("reports")]


def test_the_health_probe_counts_live_workers_per_queue(redis):
    mark_alive(redis, "flows-main-1", ["flows"])
    mark_alive(redis, "flows-main-2", ["flows"])
    mark_alive(redis, "hv-hv1-3", ["hv.hv1"])
    found = Probes(database(os.environ["HOSTFLOW_DATABASE_URL"]), os.environ["HOSTFLOW_REDIS_URL"], "").workers()
    assert found == {"flows": 2, "hv.hv1": 1}
