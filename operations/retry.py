"""Starting a recorded operation again (a retry) or later (a deferred start, or an
approval): what its kind took is taken again by compare-and-swap (409 if something
else has it meanwhile), and given back should the queue refuse it."""
from __future__ import annotations

from operations import approvals, backups, power, snapshots, volumes
from operations.hosts import deletes_volumes
from operations.record import Release, enqueue
from operations.services import Services

RETRYABLE = {"failed", "rolled_back"}
HOST_STATES = {"allocate_host": "building", "reclaim_host": "deleting"}
RETAKES = {**dict.fromkeys(volumes.VOLUME_STATES, volumes.retake), **dict.fromkeys(backups.KINDS, backups.retake),
           **dict.fromkeys(snapshots.BUSY_STATES, snapshots.retake), **dict.fromkeys(power.KINDS, power.retake)}
RELEASES: dict[str, Release] = {**dict.fromkeys(volumes.VOLUME_STATES, volumes.release),
                                **dict.fromkeys(backups.KINDS, backups.release),
                                **dict.fromkeys(snapshots.BUSY_STATES, snapshots.release),
                                **dict.fromkeys(power.KINDS, power.release)}


def retry(svc: Services, op_id: str) -> dict:
    op = svc.operations.get(op_id)
    if op["state"] in RETRYABLE:
        _retake(svc, op)
    op = svc.operations.reopen_for_retry(op_id)
    if op["kind"] in HOST_STATES:
        svc.hosts.update(op["host_id"], state=HOST_STATES[op["kind"]])
    enqueue(svc, op, attempt=op["attempts"], release=RELEASES.get(op["kind"]))
    return svc.operations.get(op_id)


def _retake(svc: Services, op: dict) -> None:
    if op["kind"] in RETAKES:
        RETAKES[op["kind"]](svc, op)
    elif op["kind"] == "reclaim_host" and deletes_volumes(op):
        svc.volumes.take_attached(op["host_id"])


def start(svc: Services, op: dict, run_id: str | None = None) -> None:
    """A new operation recorded under `deferred_start` waits for approval where the
    policy says so; else it is queued."""
    if not approvals.hold(svc, op, run_id):
        enqueue(svc, op, gate=False, release=RELEASES.get(op["kind"]))
