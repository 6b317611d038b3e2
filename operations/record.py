"""Recording an operation under its idempotency key, and handing it to the flow runners.

A request recorded under a key it already used gets the same operation back (422 if
the request differs). A new operation is recorded `queued` together with its outbox
entry, which the relay (operations.outbox) turns into a job, or into a wait for
approval where the policy says so. A queue that cannot take it now loses nothing:
the entry stays and the `outbox` sweep relays it once the queue is back."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from infra.errors import Invalid
from operations import outbox
from operations.origin import Origin
from operations.services import Services


def key_or_new(key: str | None) -> str:
    return key or f"auto:{uuid.uuid4()}"


def submit(svc: Services, kind: str, origin: Origin, params: dict, *, before_insert=None, **refs) -> dict:
    """Records the operation (refs: host_id, volume_id, backup_id, op_id) and starts it
    if it is new; the operation either way."""
    op, created = svc.operations.create(kind, key_or_new(origin.key), params, source=origin.source,
                                        requester=origin.requester, reply_to=origin.reply_to,
                                        before_insert=before_insert, start=starts_now(), **refs)
    if created:
        start_new(svc, op)
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
    """Submissions inside record their operations `queued` without an outbox entry: the
    caller (a Prefect deployment run) starts them itself (`operations.retry.start`)."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def starts_now() -> bool:
    """Whether an operation recorded now gets its outbox entry in the same transaction."""
    return not _deferred.get()


def start_new(svc: Services, op: dict) -> None:
    """Relays a new operation's outbox entry, where it has one: the operation is queued
    or held for approval (`op` then says so), or waits in the outbox for the queue."""
    if starts_now():
        outbox.relay(svc, op["id"], 0, op)
