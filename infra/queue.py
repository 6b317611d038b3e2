"""RQ: dispatching a function to a node's queue and waiting for its outcome.

Job ids are `<operation id>_<step>`; enqueues are unique, so two runners can
never have the same step queued twice. A job on a node's queue, or queued by a node,
carries the node first (`node_job_id`). The journal (not RQ) decides whether a
finished job's result may be reused.

A worker runs its jobs as a `job_class_allowing(...)` class: a job's function is a
string in Redis, so only the entry points its role runs are ever imported and called."""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.retry import Retry
from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.results import Result
from rq.serializers import JSONSerializer

from infra import fencing
from infra.errors import HostflowError, OutcomeUnknown, StepFailed, WorkerLost

JOB_FUNCTION = "workers.jobs.run_function"
OPERATION_JOB = "workers.jobs.run_operation"
RESULT_TTL = 7 * 24 * 3600
PLAN_RESULT_TTL = 60  # a dry run reads its plan at once; a week of them would fill Redis
ALIVE_PREFIX = "hostflow:alive:"
ALIVE_TTL = 5
NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,62}")
NO_WORKER_GRACE = 10
SOCKET_TIMEOUT_S, CONNECT_TIMEOUT_S, HEALTH_CHECK_S, RETRIES = 10.0, 3.0, 15, 5

log = logging.getLogger("hostflow.queue")


class QueueError(HostflowError):
    code = "queue_unavailable"


class FunctionNotAllowed(HostflowError):
    code = "function_not_allowed"


class AllowedJob(Job):
    """A job whose function is imported and called only if it is one of `allowed`.

    RQ names a job's function by a string and the worker imports whatever it names:
    anyone who can write to Redis could have a worker run `os.system`. Here anything
    else fails the job with `function_not_allowed` before an import. Callbacks and
    webhooks (RQ would import, call or request them when the job ends; hostflow sets
    none) and functions named on an instance are refused the same way, and never run."""

    allowed: frozenset[str] = frozenset()

    def refusal(self) -> str | None:
        """Why this job may not run, or None."""
        name = self.func_name
        if name not in self.allowed:
            return f"{name!r} is not a job this worker runs (it runs {', '.join(sorted(self.allowed))})"
        if self.instance is not None:
            return f"{name!r} is named on an instance"
        if self._success_callback_name or self._failure_callback_name or self._stopped_callback_name:
            return f"{name!r} comes with callbacks"
        if self.webhooks:
            return f"{name!r} comes with webhooks"
        return None

    @property
    def func(self):
        refusal = self.refusal()
        if refusal:
            log.warning("job %s refused: %s", self.id, refusal)
            raise FunctionNotAllowed(f"function_not_allowed: {refusal}")
        return super().func

    @property
    def success_callback(self):
        return None

    @property
    def failure_callback(self):
        return None

    @property
    def stopped_callback(self):
        return None

    def send_webhooks(self, status, *, exc_string=None) -> None:
        return None


def job_class_allowing(functions: Iterable[str]) -> type[AllowedJob]:
    """The job class of a worker that runs only `functions` (dotted names, as enqueued)."""
    return type("AllowedJob", (AllowedJob,), {"allowed": frozenset(functions)})


def redis_from_url(url: str) -> Redis:
    """A client that never hangs on a lost server and rides out a short blip: every
    command times out (an RQ worker raises the timeout of its own connection above its
    blocking dequeue), and a lost connection is tried again with backoff (~1.5 s in
    all) before the error reaches the caller. A timeout is not retried: the command
    may have been carried out."""
    return Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=CONNECT_TIMEOUT_S,
                          health_check_interval=HEALTH_CHECK_S,
                          retry=Retry(ExponentialBackoff(cap=0.8, base=0.05), RETRIES,
                                      supported_errors=(RedisConnectionError,)))


def queue(redis: Redis, name: str) -> Queue:
    return Queue(name, connection=redis, serializer=JSONSerializer)


class RqDispatcher:
    def __init__(self, redis: Redis, step_timeout: float = 600.0):
        self.redis = redis
        self.step_timeout = step_timeout

    def run(self, queue_name: str, job_id: str, function: str, request: dict, reuse: bool = True,
            mode: str = "do", on_progress=None) -> dict:
        """Runs `function` on `queue_name` and returns its result payload ({"outcome"} or {"plan"}).
        `reuse`: a finished job with this id may stand for this run (the step ran, but its
        outcome was never journalled). `on_progress(dict)` receives what the job reports
        while it runs. Raises StepFailed or WorkerLost."""
        job_id = job_id_on(queue_name, job_id)
        fence = fencing.current() if mode == "do" else None
        try:
            if fence:
                fencing.hold(self.redis, fence)
            job = self._existing(job_id, reuse, fence)
            if job is None:
                job = self._enqueue(queue_name, job_id, function, request, mode, fence)
            return self._wait(job, _ProgressRelay(on_progress))
        except RedisError as exc:
            raise OutcomeUnknown(f"redis was lost while running {job_id}: {exc}; it may have run; retry the "
                                 "operation to resume (the step observes before it acts)") from exc

    def _existing(self, job_id: str, reuse: bool, fence: fencing.Fence | None) -> Job | None:
        """A job with this id that may stand for this run: one finished well (if
        `reuse`), one of this attempt still waiting, or one still running."""
        job = _fetch(self.redis, job_id)
        if job is None:
            return None
        status = job.get_status()
        if status == JobStatus.FINISHED and reuse and (job.return_value() or {}).get("ok"):
            return job
        waiting = status in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED)
        if waiting and _fence_of(job) == fence:
            return job
        if status == JobStatus.STARTED and self._worker_alive(job):
            return job
        Result.delete_all(job)  # job.delete() keeps results: a new run would read the old one
        job.delete()
        return None

    def _enqueue(self, queue_name: str, job_id: str, function: str, request: dict, mode: str,
                 fence: fencing.Fence | None) -> Job:
        q = queue(self.redis, queue_name)
        args = (function, request, mode) + ((fence.to_arg(),) if fence else ())
        try:
            ttl = PLAN_RESULT_TTL if mode in {"plan", "plans"} else RESULT_TTL
            return q.enqueue(JOB_FUNCTION, args=args, job_id=job_id, unique=True,
                             job_timeout=int(self.step_timeout), result_ttl=ttl, failure_ttl=ttl)
        except DuplicateJobError:
            return Job.fetch(job_id, connection=self.redis, serializer=JSONSerializer)

    def _wait(self, job: Job, relay: _ProgressRelay) -> dict:
        deadline = time.monotonic() + self.step_timeout + 30
        unserved_since = None
        while time.monotonic() < deadline:
            result = job.latest_result(timeout=1)
            if result is not None:
                relay.final(job)
                return _payload(job, result)
            status = job.get_status()
            if status == JobStatus.STARTED and not self._worker_alive(job):
                raise WorkerLost(f"the worker running {job.id} is gone; retry the operation to resume")
            relay(job)
            unserved = status == JobStatus.QUEUED and not serves(self.redis, job.origin)
            unserved_since = (unserved_since or time.monotonic()) if unserved else None
            if unserved_since and time.monotonic() - unserved_since > NO_WORKER_GRACE:
                raise WorkerLost(f"no live worker serves queue {job.origin}; {job.id} stays queued for it, "
                                 "retry the operation once the node is back", code="node_unavailable")
        raise WorkerLost(f"{job.id} did not finish within {self.step_timeout:.0f} s; retry to resume",
                         code="step_timeout")

    def _worker_alive(self, job: Job) -> bool:
        job.refresh()
        return not job.worker_name or is_alive(self.redis, job.worker_name)


def _fence_of(job: Job) -> fencing.Fence | None:
    args = job.args or ()
    return fencing.Fence.from_arg(args[3]) if len(args) > 3 else None


class _ProgressRelay:
    """Hands each new progress report in the job's meta to the caller."""

    def __init__(self, on_progress):
        self.on_progress, self.last = on_progress, None

    def __call__(self, job: Job) -> None:
        progress = job.meta.get("progress") if self.on_progress else None
        if progress and progress != self.last:
            self.last = progress
            self.on_progress(progress)

    def final(self, job: Job) -> None:
        if self.on_progress:
            job.refresh()
            self(job)


def mark_alive(redis: Redis, worker_name: str, queues: list[str]) -> None:
    """Our own liveness key, holding the queues the worker serves: RQ's worker key is
    not refreshed while a SimpleWorker runs a job, so it cannot tell a long step
    from a dead node."""
    redis.set(ALIVE_PREFIX + worker_name, ",".join(queues), ex=ALIVE_TTL)


def serves(redis: Redis, queue_name: str) -> bool:
    """Whether any live worker serves the queue."""
    for key in redis.scan_iter(ALIVE_PREFIX + "*", count=100):
        value = redis.get(key)
        if value is not None and queue_name in value.decode().split(","):
            return True
    return False


def is_alive(redis: Redis, worker_name: str) -> bool:
    return bool(redis.exists(ALIVE_PREFIX + worker_name))


def _payload(job: Job, result: Result) -> dict:
    if result.type == Result.Type.SUCCESSFUL:
        value = result.return_value or {}
        if value.get("ok"):
            return value
        err = value.get("error", {})
        raise StepFailed(err.get("message", "step failed"), code=err.get("code", "step_failed"),
                         details=err.get("details"))
    last = (result.exc_string or "").strip().splitlines()
    raise StepFailed(f"{job.id} crashed: {last[-1] if last else 'unknown error'}", code="internal_error")


def node_job_id(node: str, job_id: str) -> str:
    """`<node>__<job id>`: the node's Redis user may touch only the job keys with its own
    prefix (`~rq:job:hv1__*`, scripts/stack.sh), and since a node name (NODE_NAME) has
    no `_`, no other node's jobs match it."""
    return f"{node}__{job_id}"


def job_id_on(queue_name: str, job_id: str) -> str:
    """The id a job gets on `queue_name`: node-prefixed on a node's queue `hv.<node>`."""
    return node_job_id(queue_name[3:], job_id) if queue_name.startswith("hv.") else job_id


def operation_job_id(operation_id: str, attempt: int) -> str:
    return f"op_{operation_id}_{attempt}"


def operation_job_lost(redis: Redis, operation_id: str, attempt: int) -> bool:
    """Whether the job running this attempt of the operation was started by a worker that
    is gone (no fresh liveness key) or ended without recording the operation's end. No
    job at all is not a loss: the operation runs outside the queue (a test, a script)."""
    try:
        job = Job.fetch(operation_job_id(operation_id, attempt), connection=redis, serializer=JSONSerializer)
        status = job.get_status()
    except NoSuchJobError:
        return False
    except RedisError as exc:
        raise QueueError(f"redis: {exc}") from exc
    if status in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
        return False
    return status != JobStatus.STARTED or bool(job.worker_name) and not is_alive(redis, job.worker_name)


class RqOperationQueue:
    """The `flows` queue, as the service layer sees it (operations.services.OperationQueue)."""

    def __init__(self, redis: Redis):
        self.redis = redis

    def enqueue(self, operation_id: str, attempt: int = 0) -> None:
        enqueue_operation(self.redis, operation_id, attempt)


def enqueue_operation(redis: Redis, operation_id: str, attempt: int = 0) -> None:
    """Hands an operation to a flow runner on the `flows` queue, once (`enqueue_once`):
    a job for this attempt that ended without taking the operation, which is why it is
    handed over again, is replaced."""
    enqueue_once(redis, "flows", OPERATION_JOB, operation_job_id(operation_id, attempt), args=(operation_id,),
                 job_timeout=3600, result_ttl=RESULT_TTL, failure_ttl=RESULT_TTL)


def enqueue_once(redis: Redis, queue_name: str, func: str, job_id: str, args: tuple = (), **options) -> bool:
    """Queues `func(*args)` as `job_id` on `queue_name` unless that job is still queued or
    running; True if it was queued. `options` go to RQ's enqueue (timeouts, TTLs).

    RQ's `unique=True` refuses an id while its job hash exists, which a finished job keeps
    for its result TTL and a job started by a worker since killed keeps for good. So a
    job that has ended, or that a worker no longer alive had started, is deleted and
    queued again: a periodic job whose worker is busy or down waits as one job, and a
    job Redis lost is queued afresh."""
    try:
        if _pending(redis, job_id):
            return False
        queue(redis, queue_name).enqueue(func, args=args, job_id=job_id, unique=True, **options)
    except DuplicateJobError:
        return False  # queued by someone else since we looked
    except RedisError as exc:
        raise QueueError(f"could not queue {job_id}: {exc}") from exc
    return True


def _pending(redis: Redis, job_id: str) -> bool:
    """Whether the job is queued or runs on a live worker; an ended or abandoned one is deleted."""
    job = _fetch(redis, job_id)
    if job is None:
        return False
    status = job.get_status()
    if status in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
        return True
    if status == JobStatus.STARTED and (not job.worker_name or is_alive(redis, job.worker_name)):
        return True
    Result.delete_all(job)  # job.delete() keeps results: the next run's would be read with them
    job.delete()
    return False


def _fetch(redis: Redis, job_id: str) -> Job | None:
    """The job, or None. A hash under the job's key that holds no job (a Redis restart
    that lost part of what was written can leave one) is removed: RQ would refuse to
    queue a job of that id while it exists."""
    try:
        return Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
    except NoSuchJobError:
        redis.delete(Job.key_for(job_id))
        return None
