"""What a hypervisor worker puts right when it starts, before it takes a job (as Nova's
init_host does): what a worker that died mid-step left in a state only that step would
have ended.

- A copy job of a live snapshot or backup (functions.live_copy) goes on in QEMU after
  the worker is gone: it is ended without pivot, so the domain keeps its own disk.
- A guest whose filesystems were frozen for that copy stays frozen: it is thawed.
- Temporary files (functions.inventory.TEMP_SUFFIXES) are deleted, once no copy job
  can still be writing one. Their step, retried, starts its file again.

A domain nobody owns is never touched here: the power reports and the drift report
name it for an operator. The worker runs this only at its start, when none of its own
steps is running; one worker serves a node."""
from __future__ import annotations

import logging
from pathlib import Path

from functions.inventory import temp_files
from functions.node import Node
from functions.outcome import Outcome, Plan
from infra.errors import ComputeError

log = logging.getLogger("hostflow.recovery")
LIVE = {"running", "paused"}


def recover_node(node: Node, _req: dict) -> Outcome:
    live = [d["domain"] for d in node.compute.power_states(node.stack) if d["state"] in LIVE]
    ended = [job for name in live for job in _end_copy_jobs(node, name)]
    thawed = [name for name in live if _thaw(node, name)]
    removed = [t["path"] for t in temp_files(node) if _remove(Path(t["path"]))]
    changed = bool(ended or thawed or removed)
    note = f"{len(ended)} copy jobs ended, {len(thawed)} guests thawed, {len(removed)} temporary files removed"
    return Outcome(changed, before=None, after=None, note=note,
                   data={"copy_jobs_ended": ended, "thawed": thawed, "temp_files_removed": removed})


def plan_recover_node(_node: Node, _req: dict) -> Plan:
    return Plan("recover", "ends stale copy jobs, thaws frozen guests, removes temporary files")


def _end_copy_jobs(node: Node, name: str) -> list[str]:
    ended = []
    for disk in node.compute.disks(name, live=True):
        if node.compute.block_job(name, disk["target"]) is not None:
            node.compute.block_job_abort(name, disk["target"])
            ended.append(f"{name}:{disk['target']}")
    return ended


def _thaw(node: Node, name: str) -> bool:
    """True if the guest's agent said its filesystems were frozen, and they were thawed.
    A guest without an agent, or with one that does not answer, has nothing to thaw."""
    try:
        if node.compute.agent(name, "guest-fsfreeze-status") != "frozen":
            return False
        node.compute.fs_thaw(name)
    except ComputeError as exc:
        log.warning("%s: freeze state not read or not thawed: %s", name, exc.message)
        return False
    return True


def _remove(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
