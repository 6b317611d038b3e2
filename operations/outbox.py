"""Relaying the outbox to the flow runners' queue, so that an accepted operation is
never lost between its record and its job.

An operation is made `queued` (submitted, approved, retried) in the same transaction as
its outbox entry; the relay then puts a job for it on the queue, at once where it can
(the API's own request) and again from the `outbox` sweep (every 5 s), which also covers a
crash right after the commit, Redis down, and a Redis that came back without the job
(an append-only file that lost its last second). An entry stays until a runner takes
its operation, so a job lost after it was queued is queued again; the queue's job ids
make a second relay of a job still waiting a no-op."""
from __future__ import annotations

import logging
from datetime import timedelta

from infra.db.models import utcnow
from infra.queue import QueueError
from operations import approval_policy
from operations.services import Services

log = logging.getLogger("hostflow.outbox")
LEASE_S = 30.0
SWEEP_GRACE_S = 5.0  # the request's own relay goes first


def relay(svc: Services, op_id: str, attempt: int, op: dict | None = None) -> str:
    """Hands one entry's operation to the queue (or to approval, where the policy holds
    it). `op`: the operation as the caller holds it; a hold updates its state. Returns
    what became of it: queued, held, dropped (the operation is no longer queued), busy
    (another relay has it), or refused (the queue is unreachable; the entry stays)."""
    entry = svc.outbox.claim(op_id, attempt, LEASE_S)
    if entry is None:
        return "busy"
    op = op if op is not None else svc.operations.get(op_id)
    if op["state"] != "queued":
        svc.outbox.drop(op_id, attempt)
        return "dropped"
    if entry["gate"] and attempt == 0 and approval_policy.hold(svc, op):
        svc.outbox.drop(op_id, attempt)
        return "held"
    try:
        svc.queue.enqueue(op_id, attempt)
    except QueueError as exc:
        log.warning("operation %s (attempt %d) waits in the outbox: %s", op_id, attempt, exc.message)
        svc.outbox.release(op_id, attempt, exc.message)
        return "refused"
    svc.outbox.release(op_id, attempt)
    return "queued"


def sweep(svc: Services) -> dict[str, list[str]]:
    """Relays every entry older than the grace the request's own relay has."""
    done: dict[str, list[str]] = {}
    for entry in svc.outbox.pending(utcnow() - timedelta(seconds=SWEEP_GRACE_S)):
        outcome = relay(svc, entry["operation_id"], entry["attempt"])
        done.setdefault(outcome, []).append(entry["operation_id"])
    return done
