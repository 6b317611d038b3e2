"""A worker as workers.process builds it runs only its role's entry points: a job naming
any other function (or carrying callbacks) fails `function_not_allowed` and nothing runs.
Real Redis (a database of its own, which no stack worker serves) and real RQ workers,
run in burst mode in this process."""
import os
import uuid
from urllib.parse import urlsplit

import pytest
from rq.job import Callback, JobStatus

from infra.queue import JOB_FUNCTION, OPERATION_JOB, queue, redis_from_url
from workers.process import make_worker, queue_names

ALLOW_LIST_REDIS_DB = 12
CALLED = []


def record(*args):
    """Named by a hostile job's callback: must never run."""
    CALLED.append(args)


@pytest.fixture
def redis():
    stack = urlsplit(os.environ.get("HOSTFLOW_REDIS_URL", "redis://127.0.0.1:6390/0"))
    conn = redis_from_url(f"redis://{stack.netloc}/{ALLOW_LIST_REDIS_DB}")
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


def run_one(redis, role: str, func: str, *args, **options):
    """Enqueues one job on the role's queue and lets a worker of that role take it."""
    node = f"itest-{uuid.uuid4().hex[:6]}"
    [name] = queue_names(role, node)
    job = queue(redis, name).enqueue(func, args=args, **options)
    worker = make_worker(redis, role, node, f"itest-{role}-{uuid.uuid4().hex[:6]}", 15)
    worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
    job.refresh()
    return job


@pytest.mark.parametrize("role", ["hv", "control", "flows"])
def test_os_function_on_a_roles_queue_fails_function_not_allowed_and_runs_nothing(redis, tmp_path, role):
    target = tmp_path / "made-by-a-hostile-job"
    job = run_one(redis, role, "os.mkdir", str(target))
    assert job.get_status() == JobStatus.FAILED
    result = job.latest_result()
    assert "function_not_allowed: 'os.mkdir' is not a job this worker runs" in result.exc_string
    assert not target.exists()


def test_a_hypervisor_worker_refuses_the_flow_runners_job(redis):
    job = run_one(redis, "hv", OPERATION_JOB, "op-x")
    assert job.get_status() == JobStatus.FAILED
    assert "function_not_allowed" in job.latest_result().exc_string


def test_callbacks_of_an_allowed_job_are_refused_and_never_called(redis):
    CALLED.clear()
    job = run_one(redis, "hv", JOB_FUNCTION, "no_such_function", {},
                  on_success=Callback(f"{__name__}.record"), on_failure=Callback(f"{__name__}.record"))
    assert job.get_status() == JobStatus.FAILED
    assert "comes with callbacks" in job.latest_result().exc_string
    assert CALLED == []


def test_the_roles_entry_point_runs_and_run_function_refuses_a_name_outside_the_registry(redis):
    job = run_one(redis, "hv", JOB_FUNCTION, "os.system", {"cmd": "true"})
    assert job.get_status() == JobStatus.FINISHED
    value = job.return_value()
    assert value["ok"] is False and value["error"]["code"] == "function_not_allowed"
