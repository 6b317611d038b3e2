"""Runs a flow's steps: each a Prefect task that dispatches one function to the
node that owns the resource, journalled in the database.

On a step error (a library's exception included) the completed steps are compensated
in reverse. When the node or the queue is lost mid-step (or the step times out) the
step's outcome is unknown and nothing is compensated: the operation is left `failed`
for a retry, which resumes at the first step not journalled as done."""
from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

import httpx
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import SyncPrefectClient
from prefect.context import FlowRunContext
from prefect.exceptions import MissingContextError, PrefectException
from prefect.runtime import flow_run

from flows.progress import StepProgress
from infra.errors import HostflowError, WorkerLost

# they report bytes done while they run
PROGRESSING = {"backup_volume", "restore_backup", "snapshot_root_disk", "upload_image_file"}


@dataclass(frozen=True)
class Runtime:
    """What a running flow works through: the dispatcher to nodes and the journal."""

    dispatcher: object
    journal: object
    prefect: bool = True
    finish: Callable[[dict | None, Exception | None], dict] | None = None


runtime_var: ContextVar[Runtime] = ContextVar("hostflow_runtime")


def on_control(_ctx: dict) -> str:
    return "control"


def on_hypervisor(ctx: dict) -> str:
    return f"hv.{ctx['hypervisor']}"


@dataclass(frozen=True)
class Step:
    name: str
    function: str
    node: Callable[[dict], str]
    request: Callable[[dict], dict]
    undo: str | None = None
    absorb: Callable[[dict, dict], None] = field(default=lambda ctx, outcome: None)


class FlowCancelled(HostflowError):
    """Cancellation was asked for; what the flow had done is compensated."""

    def __init__(self, step: str, by: str):
        super().__init__(f"cancelled by {by} before step {step}; what was done is undone", code="cancelled")
        self.step = step


class FlowFailed(HostflowError):
    """A flow ended in failure; `rolled_back` says whether compensation undid its work."""

    def __init__(self, cause: HostflowError, rolled_back: bool, step: str):
        super().__init__(f"step {step} failed: {cause.message}", code=cause.code)
        self.cause, self.rolled_back, self.step = cause, rolled_back, step


@task(cache_policy=NO_CACHE, persist_result=False)
def dispatch(queue: str, job_id: str, function: str, request: dict, reuse: bool, op_id: str, step: str) -> dict:
    return _run(runtime_var.get(), queue, job_id, function, request, reuse, op_id, step)


def _run(runtime: Runtime, queue: str, job_id: str, function: str, request: dict, reuse: bool, op_id: str,
         step: str) -> dict:
    kwargs = {"reuse": reuse}
    if function in PROGRESSING:
        kwargs["on_progress"] = StepProgress(runtime.journal, op_id, step, runtime.prefect)
    return runtime.dispatcher.run(queue, job_id, function, request, **kwargs)["outcome"]


def step_job_id(op_id: str, step: str, suffix: str = "") -> str:
    """`<operation id>_<step>`: RQ 2 accepts only letters, digits, `_` and `-` in job ids."""
    return "_".join(p for p in (op_id, step, suffix) if p)


def _call(name: str, queue: str, job_id: str, function: str, request: dict, reuse: bool, op_id: str = "",
          step: str = "") -> dict:
    runtime = runtime_var.get()
    if runtime.prefect:
        return dispatch.with_options(name=name)(queue, job_id, function, request, reuse, op_id, step)
    return _run(runtime, queue, job_id, function, request, reuse, op_id, step)


def _logger():
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("hostflow.flow")


def run_steps(op_id: str, steps: list[Step], ctx: dict) -> dict:
    """Runs the steps not yet done; returns ctx enriched by every step's outcome."""
    log = _logger()
    journal = runtime_var.get().journal
    if flow_run.id:
        journal.set_fields(op_id, flow_run_id=str(flow_run.id))
    done_before = journal.done_outcomes(op_id)
    completed: list[Step] = []
    for seq, step in enumerate(steps):
        if step.name in done_before:
            step.absorb(ctx, done_before[step.name])
            completed.append(step)
            log.info("%s: already done, skipped", step.name)
            continue
        by = cancel_requested(op_id, journal)
        if by:
            log.warning("cancelled by %s before %s: compensating %d steps", by, step.name, len(completed))
            compensate(op_id, completed, ctx, journal)
            raise FlowCancelled(step.name, by)
        outcome = _do(op_id, seq, step, ctx, completed, journal)
        log.info("%s on %s: changed=%s %s", step.name, step.node(ctx), outcome["changed"], outcome.get("note", ""))
        step.absorb(ctx, outcome)
        completed.append(step)
    return ctx


def _do(op_id: str, seq: int, step: Step, ctx: dict, completed: list[Step], journal) -> dict:
    """Runs one step, journalled. A lost node or queue leaves the outcome unknown and
    nothing is compensated; any other error, a library's included, compensates what
    was done: the failed step's own inverse first (it may have acted before it failed:
    inverses observe before they act, so one that did nothing undoes nothing), then the
    completed steps'. Either way the operation's end is a FlowFailed; it is rolled back
    when a completed step was undone."""
    queue = step.node(ctx)
    prior = journal.step_state(op_id, step.name, "do")
    journal.step_started(op_id, seq, step.name, "do", queue)
    try:
        outcome = _call(step.name, queue, step_job_id(op_id, step.name), step.function, step.request(ctx),
                        reuse=prior == "running", op_id=op_id, step=step.name)
    except Exception as exc:  # noqa: BLE001 - whatever escapes a step, what was done is undone
        err = exc if isinstance(exc, HostflowError) else HostflowError(f"internal error: {exc!r}")
        journal.step_finished(op_id, step.name, "do", "failed", error=err.to_dict())
        _logger().error("%s failed: %s: %s", step.name, err.code, err.message)
        if isinstance(err, WorkerLost):
            raise FlowFailed(err, rolled_back=False, step=step.name) from exc
        _undo(op_id, seq, step, ctx, journal)
        compensate(op_id, completed, ctx, journal)
        raise FlowFailed(err, rolled_back=any(s.undo is not None for s in completed), step=step.name) from exc
    journal.step_finished(op_id, step.name, "do", "succeeded", outcome=outcome)
    return outcome


def cancel_requested(op_id: str, journal) -> str | None:
    """Who asked to cancel: through the API (the operation's record) or the Prefect UI
    (its flow run turned Cancelling). Checked between functions, never during one."""
    by = journal.cancel_requested(op_id)
    if by:
        return by
    if runtime_var.get().prefect and flow_run.id and _prefect_cancelling(flow_run.id):
        journal.request_cancel(op_id, "prefect-ui")
        return "prefect-ui"
    return None


def _prefect_cancelling(run_id) -> bool:
    """Through the flow run's own client (one read, ~5 ms; a new client costs ~10x that).
    An unreachable Prefect server cancels nothing: the database holds the requests."""
    ctx = FlowRunContext.get()
    if ctx is None or not isinstance(ctx.client, SyncPrefectClient):
        return False
    try:
        state = ctx.client.read_flow_run(run_id).state
    except (PrefectException, httpx.HTTPError) as exc:
        _logger().warning("could not read the flow run's state: %s", exc)
        return False
    return state is not None and state.type.value in {"CANCELLING", "CANCELLED"}


def run_recorded(op_id: str, steps: list[Step], ctx: dict) -> dict:
    """run_steps, then the runtime's `finish` records the end inside the flow body."""
    finish = runtime_var.get().finish or (lambda result, exc: result)
    try:
        result = run_steps(op_id, steps, ctx)
    except Exception as exc:
        finish(None, exc)
        raise
    finish(result, None)
    return result


def compensate(op_id: str, completed: list[Step], ctx: dict, journal) -> None:
    """Runs the inverses of completed steps, newest first; their journal rows turn
    `compensated` so a retry runs them again."""
    for seq, step in reversed(list(enumerate(completed))):
        _undo(op_id, seq, step, ctx, journal)
        journal.step_finished(op_id, step.name, "do", "compensated")


def _undo(op_id: str, seq: int, step: Step, ctx: dict, journal) -> dict | None:
    """The step's inverse, journalled; its outcome, or None for a step without one."""
    if step.undo is None:
        return None
    queue = step.node(ctx)
    journal.step_started(op_id, seq, step.name, "undo", queue)
    try:
        outcome = _call(f"undo {step.name}", queue, step_job_id(op_id, step.name, "undo"), step.undo,
                        step.request(ctx), reuse=False)
    except Exception as exc:
        err = exc if isinstance(exc, HostflowError) else HostflowError(f"internal error: {exc!r}")
        journal.step_finished(op_id, step.name, "undo", "failed", error=err.to_dict())
        _logger().error("undo %s failed: %s", step.name, err.message)
        raise
    journal.step_finished(op_id, step.name, "undo", "succeeded", outcome=outcome)
    return outcome
