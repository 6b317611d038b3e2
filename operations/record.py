"""Recording an operation under its idempotency key, and handing it to the flow runners.

A request recorded under a key it already used gets the same operation back (422 if
the request differs). A new operation waits for approval where the policy says so, else
it is queued; one the queue refuses ends `failed` (`queue_unavailable`) and its kind's
`release` gives back what it took, where its retry takes it from again."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from infra.errors import Invalid
from infra.queue import QueueError
from operations import approvals
from operations.origin import Origin
from operations.services import Services

Release = Callable[[object, dict], None]


def key_or_new(key: str | None) -> str:
    return key or f"auto:{uuid.uuid4()}"


def submit(svc: Services, kind: str, origin: Origin, params: dict, *, before_insert=None,
           release: Release | None = None, **refs) -> dict:
    """Records the operation (refs: host_id, volume_id, backup_id, op_id) and starts it
    if it is new; the operation either way."""
    op, created = svc.operations.create(kind, key_or_new(origin.key), params, source=origin.source,
                                        requester=origin.requester, reply_to=origin.reply_to,
                                        before_insert=before_insert, **refs)
    if created:
        enqueue(svc, op, release=release)
    return op


def replay(svc: Services, kind: str, key: str | None, params: dict) -> dict | None:
    """The operation already recorded under this key (422 if the request differs), or None."""
    if key and svc.operations.by_key(key):
        return svc.operations.create(kind, key, params)[0]
    return None


def replay_request(svc: Services, kind: str, key: str | None, **request) -> dict | None:
    """As `replay`, for operations whose params also hold ids chosen at submission: the
    comparison is on the request's own fields."""
    existing = svc.operations.by_key(key) if key else None
    if existing is None:
        return None
    if existing["kind"] != kind or any(existing["params"].get(k) != v for k, v in request.items()):
        raise Invalid("Idempotency-Key was already used with a different request", code="idempotency_key_reused")
    return existing


_deferred: ContextVar[bool] = ContextVar("hostflow_deferred_start", default=False)


@contextmanager
def deferred_start() -> Iterator[None]:
    """Submissions inside record their operations `queued` without starting them: the
    caller (a Prefect deployment run) starts them itself (`operations.retry.start`)."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def enqueue(svc: Services, op: dict, attempt: int = 0, gate: bool = True, release: Release | None = None) -> None:
    if attempt == 0 and gate:
        if _deferred.get():
            return
        if approvals.hold(svc, op):
            return
    try:
        svc.queue.enqueue(op["id"], attempt)
    except QueueError:
        svc.operations.transition(op["id"], {"queued"}, "failed", error_code="queue_unavailable",
                                  error_message="the queue was unavailable; retry the operation")
        if release is not None:
            release(svc, op)
        raise
