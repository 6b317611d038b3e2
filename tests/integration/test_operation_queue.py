"""Handing an operation to the flows queue is idempotent by its job id, against real
Redis (a database of its own): a job still waiting or running stays, one that ended or
whose worker is gone is replaced, and one Redis lost (whole or in part) is queued again. The client itself
never hangs on a server that does not answer, and rides out a refused connection."""
import os
import socket
import time
from urllib.parse import urlsplit

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from infra.queue import enqueue_operation, mark_alive, operation_job_id, queue, redis_from_url

QUEUE_REDIS_DB = 13


@pytest.fixture
def redis():
    stack = urlsplit(os.environ.get("HOSTFLOW_REDIS_URL", "redis://127.0.0.1:6390/0"))
    conn = redis_from_url(f"redis://{stack.netloc}/{QUEUE_REDIS_DB}")
    conn.flushdb()
    yield conn
    conn.flushdb()


def flows_jobs(redis) -> list[str]:
    return queue(redis, "flows").job_ids


def set_status(redis, job_id: str, status: JobStatus, worker: str = "") -> None:
    job = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
    job.set_status(status)
    job.worker_name = worker
    job.save()


def test_a_job_still_waiting_is_not_queued_twice(redis):
    enqueue_operation(redis, "op1", 0)
    enqueue_operation(redis, "op1", 0)
    assert flows_jobs(redis) == [operation_job_id("op1", 0)]


def test_a_job_redis_lost_is_queued_again(redis):
    enqueue_operation(redis, "op1", 0)
    redis.flushdb()  # what a restart from an append-only file missing its last second leaves
    enqueue_operation(redis, "op1", 0)
    assert flows_jobs(redis) == [operation_job_id("op1", 0)]


def test_a_job_that_ended_without_taking_its_operation_is_replaced(redis):
    enqueue_operation(redis, "op1", 0)
    queue(redis, "flows").remove(operation_job_id("op1", 0))
    set_status(redis, operation_job_id("op1", 0), JobStatus.FINISHED)
    enqueue_operation(redis, "op1", 0)
    assert flows_jobs(redis) == [operation_job_id("op1", 0)]
    assert Job.fetch(operation_job_id("op1", 0), connection=redis).get_status() == JobStatus.QUEUED


def test_a_job_a_live_worker_runs_stays(redis):
    enqueue_operation(redis, "op1", 0)
    queue(redis, "flows").remove(operation_job_id("op1", 0))
    mark_alive(redis, "flows-main-1", ["flows"])
    set_status(redis, operation_job_id("op1", 0), JobStatus.STARTED, worker="flows-main-1")
    enqueue_operation(redis, "op1", 0)
    assert flows_jobs(redis) == []


def test_a_job_whose_worker_is_gone_is_replaced(redis):
    enqueue_operation(redis, "op1", 0)
    queue(redis, "flows").remove(operation_job_id("op1", 0))
    set_status(redis, operation_job_id("op1", 0), JobStatus.STARTED, worker="flows-main-gone")
    enqueue_operation(redis, "op1", 0)
    assert flows_jobs(redis) == [operation_job_id("op1", 0)]


def test_each_attempt_has_its_own_job(redis):
    enqueue_operation(redis, "op1", 0)
    enqueue_operation(redis, "op1", 1)
    assert flows_jobs(redis) == [operation_job_id("op1", 0), operation_job_id("op1", 1)]


def test_a_server_that_never_answers_times_the_client_out(monkeypatch):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        monkeypatch.setattr("infra.queue.SOCKET_TIMEOUT_S", 0.5)
        client = redis_from_url(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        started = time.monotonic()
        with pytest.raises(RedisTimeoutError):
            client.ping()
        assert time.monotonic() - started < 5


def test_a_refused_connection_is_tried_again_before_it_fails():
    client = redis_from_url("redis://127.0.0.1:1/0")
    started = time.monotonic()
    with pytest.raises(RedisConnectionError):
        client.ping()
    assert time.monotonic() - started > 1.0  # the backoff between the retries


def test_a_job_key_left_without_its_job_does_not_block_the_next(redis):
    redis.hset(f"rq:job:{operation_job_id('op1', 0)}", "last_heartbeat", "2026-12-07T22:44:55Z")
    enqueue_operation(redis, "op1", 0)
    assert flows_jobs(redis) == [operation_job_id("op1", 0)]
