"""A point-in-time copy of one disk of a running domain (a snapshot's root disk, a live
backup's volume). libvirt mirrors the disk into a new file until the copy is ready, then
the job ends without pivot: the copy is the disk as it was at that moment, and the domain
keeps its own. With a guest agent, the guest's filesystems are frozen around that moment
and thawed on every path, so the copy is quiesced."""
from __future__ import annotations

import logging
import time
from pathlib import Path

from functions.node import Node
from infra.errors import ComputeError

log = logging.getLogger("hostflow.live_copy")
COPY_TIMEOUT = 600.0


def copy_live(node: Node, name: str, target: str, dest: Path, fmt: str = "qcow2",
              must_quiesce: bool = False) -> bool:
    """True if the copy was quiesced. Without an agent, or with one that cannot freeze,
    the copy is crash-consistent (as Nova's snapshots are), unless `must_quiesce`: then
    it fails `quiesce_failed` (the caller removes `dest` on every failure). A job left by
    an interrupted attempt is ended first: only these copies start copy jobs."""
    node.compute.block_job_abort(name, target)
    dest.unlink(missing_ok=True)
    node.compute.block_copy(name, target, str(dest), fmt)
    frozen = None
    try:
        _wait_ready(node, name, target)
        frozen = _freeze(node, name)
        if frozen is None and must_quiesce:
            raise ComputeError(f"the guest of {name} could not be quiesced: its agent did not freeze its "
                               "filesystems", code="quiesce_failed")
        node.compute.block_job_abort(name, target)
    finally:
        try:
            node.compute.block_job_abort(name, target)
        finally:
            if frozen is not None:
                node.compute.fs_thaw(name)
    return frozen is not None


def _freeze(node: Node, name: str) -> int | None:
    """Frozen filesystems, or None: no agent, or one that cannot freeze."""
    try:
        return node.compute.fs_freeze(name)
    except ComputeError as exc:
        log.warning("%s: not quiesced: %s", name, exc.message)
        return None


def _wait_ready(node: Node, name: str, target: str) -> None:
    deadline = time.monotonic() + COPY_TIMEOUT
    while True:
        job = node.compute.block_job(name, target)
        if job is None:
            raise ComputeError(f"the copy job on {name} {target} ended before it was ready", code="block_copy_failed")
        node.progress(job["cur"], job["end"])
        if job["end"] and job["cur"] == job["end"]:
            return
        if time.monotonic() > deadline:
            raise ComputeError(f"the copy of {name} {target} was not ready in {COPY_TIMEOUT:.0f} s",
                               code="block_copy_timeout")
        time.sleep(0.2)
