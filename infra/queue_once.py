"""A job under a stable id, queued only while no job of that id is still queued or
running: a periodic job whose worker is busy or down waits as one job, not as a pile.

RQ's `unique=True` refuses an id while its job hash exists, which a finished job keeps
for its result TTL and a job started by a worker since killed keeps for good. So a
job that has ended, or that a worker no longer alive (infra.queue liveness keys) had
started, is deleted and queued again."""
from __future__ import annotations

from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.results import Result
from rq.serializers import JSONSerializer

from infra.queue import QueueError, is_alive, queue

WAITING = (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED)


def enqueue_once(redis: Redis, queue_name: str, func: str, job_id: str, args: tuple = (), **options) -> bool:
    """Queues `func(*args)` as `job_id` on `queue_name` unless that job is still queued or
    running; True if it was queued. `options` go to RQ's enqueue (timeouts, TTLs)."""
    try:
        if _pending(redis, job_id):
            return False
        queue(redis, queue_name).enqueue(func, args=args, job_id=job_id, unique=True, **options)
    except DuplicateJobError:
        return False  # queued by someone else since we looked
    except RedisError as exc:
        raise QueueError(f"redis: {exc}") from exc
    return True


def _pending(redis: Redis, job_id: str) -> bool:
    """Whether the job is queued or runs on a live worker; an ended or abandoned one is deleted."""
    try:
        job = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
    except NoSuchJobError:
        return False
    status = job.get_status()
    if status in WAITING or status == JobStatus.STARTED and (not job.worker_name or is_alive(redis, job.worker_name)):
        return True
    Result.delete_all(job)  # job.delete() keeps results: the next run's would be read with them
    job.delete()
    return False
