"""What RQ workers execute: a function on a node or the control plane, and an
operation's flow. Known errors come back as data so the flow can journal their code;
anything else fails the job and is reported as internal.

run_function runs only the registry's functions (functions.registry.FUNCTIONS), each on
its own kind of queue: a node's function on an `hv.<node>` queue, a control function on
`control`. Any other name comes back `function_not_allowed`, with nothing run."""
from __future__ import annotations

import logging

from rq import get_current_job

from functions.registry import FUNCTIONS, Entry
from infra import fencing
from infra.errors import HostflowError
from infra.fencing import Fence
from infra.queue import FunctionNotAllowed
from infra.settings import Settings
from operations import bootstrap
from webhooks.notifier import report_end

log = logging.getLogger("hostflow.jobs")


def run_function(name: str, request: dict, mode: str = "do", fence: dict | None = None) -> dict:
    """`fence`: the operation attempt the job belongs to (infra.fencing); a job of an
    attempt that no longer runs does nothing."""
    if mode == "plans":
        return _plans(request["steps"])
    stale = _stale(fence)
    if stale:
        log.warning("%s not run: %s", name, stale.message)
        return {"ok": False, "error": stale.to_dict()}
    try:
        entry = _entry(name)
    except FunctionNotAllowed as exc:
        log.warning("%s refused: %s", name, exc.message)
        return {"ok": False, "error": exc.to_dict()}
    settings = Settings.from_env()
    if entry.context == "node":
        ctx = bootstrap.node_context(settings, progress=progress_into(get_current_job()))
    else:
        ctx = bootstrap.control_context(settings)
    try:
        if mode == "plan":
            return {"ok": True, "plan": entry.plan(ctx, request).to_dict()}
        outcome = entry.run(ctx, request)
        log.info("%s: changed=%s %s", name, outcome.changed, outcome.note)
        return {"ok": True, "outcome": outcome.to_dict()}
    except HostflowError as exc:
        log.warning("%s failed: %s: %s", name, exc.code, exc.message)
        return {"ok": False, "error": exc.to_dict()}
    finally:
        if entry.context == "node":
            ctx.compute.close()


def _stale(fence: dict | None) -> HostflowError | None:
    found = Fence.from_arg(fence)
    job = get_current_job()
    if found is None or job is None:
        return None
    return fencing.refusal(job.connection, found)


def _plans(steps: list[dict]) -> dict:
    """A dry run's plans of several node functions, in one job and one node context: a
    round trip through the queue costs more than most plans."""
    try:
        entries = [_entry(s["function"], "node") for s in steps]
    except FunctionNotAllowed as exc:
        return {"ok": False, "error": exc.to_dict()}
    ctx = bootstrap.node_context(Settings.from_env())
    try:
        plans = [entry.plan(ctx, s["request"]).to_dict() for entry, s in zip(entries, steps, strict=True)]
    except HostflowError as exc:
        return {"ok": False, "error": exc.to_dict()}
    finally:
        ctx.compute.close()
    return {"ok": True, "plans": plans}


def _entry(name: str, context: str | None = None) -> Entry:
    """The registry's entry for `name`, if it may run here: on the kind of queue the
    current job came from (`context` for a batch of plans, which is node only)."""
    entry = FUNCTIONS.get(name) if isinstance(name, str) else None
    if entry is None:
        raise FunctionNotAllowed(f"{name!r} is not a hostflow function")
    for wanted in (context, _queue_context()):
        if wanted and entry.context != wanted:
            raise FunctionNotAllowed(f"{name} is a {entry.context} function; it does not run on a {wanted} queue")
    return entry


def _queue_context() -> str | None:
    """The kind of function the current job's queue runs: control on `control`, node on
    an `hv.<node>` queue; None outside a job (a direct call)."""
    job = get_current_job()
    if job is None:
        return None
    return "control" if job.origin == "control" else "node"


def progress_into(job):
    """A reporter writing into the job's meta, where the dispatcher waiting on it reads
    it. The job is captured here: functions report from their own threads."""

    def report(done: int, total: int) -> None:
        if job is not None:
            job.meta["progress"] = {"done_bytes": done, "total_bytes": total}
            job.save_meta()

    return report


def run_operation(operation_id: str) -> dict:
    """The flows queue's job."""
    from flows.runner import run_operation as run  # here: hypervisor workers import this module, never Prefect

    settings = Settings.from_env()
    return run(operation_id, settings, on_end=lambda op_id: report_end(settings, op_id))
