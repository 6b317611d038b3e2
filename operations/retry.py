"""Starting a recorded operation again (a retry) or later (a deferred start): what its
kind took is taken again by compare-and-swap (409 if something else has it meanwhile),
and the operation goes through the outbox like a new one."""
from __future__ import annotations

from operations import approval_policy, backups, outbox, power, snapshots, volumes
from operations.hosts import deletes_volumes
from operations.services import Services

RETRYABLE = {"failed", "rolled_back"}
HOST_STATES = {"allocate_host": "building", "reclaim_host": "deleting"}
RETAKES = {**dict.fromkeys(volumes.VOLUME_STATES, volumes.retake), **dict.fromkeys(backups.KINDS, backups.retake),
           **dict.fromkeys(snapshots.BUSY_STATES, snapshots.retake), **dict.fromkeys(power.KINDS, power.retake)}


def retry(svc: Services, op_id: str) -> dict:
    op = svc.operations.get(op_id)
    if op["state"] in RETRYABLE:
        _retake(svc, op)
    op = svc.operations.reopen_for_retry(op_id)
    if op["kind"] in HOST_STATES:
        svc.hosts.update(op["host_id"], state=HOST_STATES[op["kind"]])
    outbox.relay(svc, op_id, op["attempts"], op)
    return svc.operations.get(op_id)


def _retake(svc: Services, op: dict) -> None:
    if op["kind"] in RETAKES:
        RETAKES[op["kind"]](svc, op)
    elif op["kind"] == "reclaim_host" and deletes_volumes(op):
        svc.volumes.take_attached(op["host_id"])


def start(svc: Services, op: dict, run_id: str | None = None) -> None:
    """A new operation recorded under `deferred_start` waits for approval where the
    policy says so (followed by `run_id`); else it goes through the outbox."""
    if not approval_policy.hold(svc, op, run_id):
        svc.outbox.add(op["id"], 0)
        outbox.relay(svc, op["id"], 0, op)
