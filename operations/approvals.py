"""Approvals: the answers to the requests the policy (operations.approval_policy) holds.

An operation the policy holds is recorded `awaiting_approval` instead of being queued,
and a Prefect deployment run follows it: that run suspends (`suspend_flow_run`, which
holds no worker) so the Prefect UI's resume form can answer too. The database stays the
system of record: approving queues the operation (through the outbox); rejecting (or
the deadline passing) queues it cancelled, so the flow runner ends it `rejected`
through the same release of what its request took as any cancelled operation, having
changed nothing."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from infra import prefect_runs
from infra.errors import Conflict, HostflowError
from operations import outbox
from operations.approval_policy import csv_set
from operations.services import Services

log = logging.getLogger("hostflow.approvals")

DECISIONS = {"approved", "rejected", "timed_out", "cancelled"}


class NotAnApprover(HostflowError):
    code, status = "not_an_approver", 403


class SelfApproval(HostflowError):
    code, status = "self_approval", 403


def may_approve(svc: Services, role: str, *names: str) -> bool:
    """Admins, and whoever HOSTFLOW_APPROVERS names (a token's name, a chat user's key)."""
    return role == "admin" or bool(csv_set(svc.settings.approvers) & set(names))


def decide(svc: Services, op_id: str, decision: str, by: str, note: str = "", resume: bool = True) -> dict:
    """Records the answer and queues the operation: to run, or to end `rejected`.
    Answering an operation that no longer waits is a 409 (it was answered already)."""
    op = svc.operations.get(op_id)
    if decision == "approved" and by == op["requester"]:
        raise SelfApproval(f"{by} requested operation {op_id} and may not approve it too; ask another approver")
    fields = {"approval_decision": decision, "approval_by": by, "approval_note": note[:1000]}
    if decision != "approved":
        svc.operations.request_cancel(op_id, by)
    if not svc.operations.transition(op_id, {"awaiting_approval"}, "queued", start_attempt=0, **fields):
        raise Conflict(f"operation {op_id} is {op['state']}, not awaiting approval", code="not_awaiting_approval",
                       details={"decision": op.get("approval") and op["approval"]["decision"]})
    outbox.relay(svc, op_id, 0)
    if resume and op.get("deployment_run_id"):
        _resume(svc, op["deployment_run_id"], decision, note)
    return svc.operations.get(op_id)


def _resume(svc: Services, run_id: str, decision: str, note: str) -> None:
    """The waiting run then follows the operation to its end; if it has not suspended
    yet it finds the operation decided and does not suspend at all."""
    try:
        prefect_runs.resume(svc.settings, run_id, {"approve": decision == "approved", "note": note})
    except prefect_runs.PrefectUnavailable as exc:
        log.info("deployment run %s not resumed (%s); housekeeping resumes it", run_id, exc)


def expire(svc: Services, now: datetime | None = None) -> list[str]:
    """Ends, as rejected, the operations whose approval deadline has passed."""
    expired = []
    for op_id in svc.operations.awaiting_approval_past(now or datetime.now(UTC)):
        try:
            decide(svc, op_id, "timed_out", "the approval deadline", "no answer before the deadline")
            expired.append(op_id)
        except Conflict:
            continue
    return expired


def reconcile(svc: Services, now: datetime | None = None) -> dict[str, list[str]]:
    """Housekeeping: expired approvals end rejected; a waiting run cancelled in the
    Prefect UI (a suspended run has no process to run hooks) cancels its operation; a
    run still suspended although its operation was answered (the answer came as it was
    suspending) is resumed so it follows the operation to its end."""
    now = now or datetime.now(UTC)
    done: dict[str, list[str]] = {"expired": expire(svc, now), "cancelled": [], "resumed": []}
    since = now - timedelta(seconds=svc.settings.approval_timeout_s + 86400)
    for op in svc.operations.followed_since(since):
        try:
            state = prefect_runs.state(svc.settings, op["deployment_run_id"])
        except prefect_runs.PrefectUnavailable:
            continue
        if state == "CANCELLED" and op["state"] == "awaiting_approval":
            cancel(svc, op["id"], "prefect-ui")
            done["cancelled"].append(op["id"])
        elif state == "PAUSED" and op["state"] != "awaiting_approval":
            _resume(svc, op["deployment_run_id"], op["approval"]["decision"] if op["approval"] else "approved", "")
            done["resumed"].append(op["id"])
    return done


def cancel(svc: Services, op_id: str, by: str) -> dict:
    op = svc.operations.get(op_id)
    if op["state"] == "awaiting_approval":
        try:
            return decide(svc, op_id, "cancelled", by, "cancelled while awaiting approval")
        except Conflict:
            op = svc.operations.get(op_id)
    if not svc.operations.request_cancel(op_id, by):
        raise Conflict(f"operation {op_id} has ended ({op['state']}); there is nothing to cancel",
                       code="not_cancellable", details={"state": op["state"]})
    return svc.operations.get(op_id)
