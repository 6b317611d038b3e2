"""What RQ workers execute: a function on a node or the control plane, and an
operation's flow. Known errors come back as data so the flow can journal their code;
anything else fails the job and is reported as internal."""
from __future__ import annotations

import logging

from rq import get_current_job

from functions.registry import FUNCTIONS
from infra.errors import HostflowError
from infra.settings import Settings
from operations import bootstrap
from webhooks.notifier import report_end

log = logging.getLogger("hostflow.jobs")


def run_function(name: str, request: dict, mode: str = "do") -> dict:
    if mode == "plans":
        return _plans(request["steps"])
    entry = FUNCTIONS[name]
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


def _plans(steps: list[dict]) -> dict:
    """A dry run's plans of several node functions, in one job and one node context: a
    round trip through the queue costs more than most plans."""
    ctx = bootstrap.node_context(Settings.from_env())
    try:
        plans = [FUNCTIONS[s["function"]].plan(ctx, s["request"]).to_dict() for s in steps]
    except HostflowError as exc:
        return {"ok": False, "error": exc.to_dict()}
    finally:
        ctx.compute.close()
    return {"ok": True, "plans": plans}


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
