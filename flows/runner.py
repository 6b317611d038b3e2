"""Runs one operation: takes it (queued -> running), builds the flow's context from
the system of record, runs the Prefect flow, and records how it ended.

Prefect records the runs; it must not lose them. With its API unreachable an operation
is not taken: it stays `queued` with its outbox entry, and the outbox sweep hands it
over again until Prefect is back (docs/operations.md)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext

from flows.engine import FlowCancelled, FlowFailed, Runtime, runtime_var
from flows.kinds import KINDS, Kind, Stores
from infra import fencing, prefect_runs
from infra.db.backups import BackupStore
from infra.db.dns_records import DnsRecordStore
from infra.db.engine import database
from infra.db.hosts import HostStore
from infra.db.image_lifecycle import ImageLifecycle
from infra.db.images import ImageStore
from infra.db.networks import NetworkStore
from infra.db.operations import OperationStore
from infra.db.power_states import PowerStateStore
from infra.db.shares import ShareStore
from infra.db.volumes import VolumeStore
from infra.errors import HostflowError
from infra.queue import RqDispatcher, redis_from_url
from infra.settings import Settings

log = logging.getLogger("hostflow.runner")


def stores(settings: Settings) -> Stores:
    db = database(settings.database_url)
    return Stores(OperationStore(db), HostStore(db), ImageStore(db), VolumeStore(db), BackupStore(db), ShareStore(db),
                  NetworkStore(db), ImageLifecycle(db), DnsRecordStore(db), PowerStateStore(db))


def run_operation(operation_id: str, settings: Settings | None = None, dispatcher=None,
                  prefect: bool = True, on_end: Callable[[str], None] | None = None) -> dict:
    """on_end(operation_id): called once the end of an operation with a reply_to is
    recorded (the report back to its ticket or chat). With the queue's own dispatcher
    (not a test's), the attempt's step jobs are fenced (infra.fencing)."""
    settings = settings or Settings.from_env()
    st = stores(settings)
    op = st.ops.get(operation_id)
    if prefect and not prefect_runs.reachable(settings):
        log.warning("the Prefect API is unreachable: operation %s stays queued; the outbox hands it over again",
                    operation_id)
        return {"skipped": "prefect_unavailable"}
    if not st.ops.transition(operation_id, {"queued"}, "running", attempts=op["attempts"] + 1):
        return {"skipped": op["state"]}
    fence = nullcontext()
    if dispatcher is None:
        redis = redis_from_url(settings.redis_url)
        dispatcher = RqDispatcher(redis, settings.step_timeout)
        fence = fencing.fenced(redis, operation_id, op["attempts"] + 1)
    kind = KINDS[op["kind"]]
    recorder = Recorder(st, kind, op, on_end=on_end)
    token = runtime_var.set(Runtime(dispatcher, st.ops, prefect, finish=recorder.finish))
    try:
        with fence:
            ctx = kind.context(op, st, settings)
            kind.flow(operation_id, ctx) if prefect else kind.flow.fn(operation_id, ctx)
    except Exception as exc:  # noqa: BLE001 - the operation must end with a recorded state
        if not recorder.done:
            log.exception("operation %s crashed outside its steps", operation_id)
            recorder.finish(None, exc)
    finally:
        runtime_var.reset(token)
    return recorder.outcome


class Recorder:
    """Records how an operation ended, once. Called from inside the flow body, so
    the operation's state is final before Prefect's teardown (its heartbeat thread
    is joined at the end of a sync flow, ~0.5 s)."""

    def __init__(self, st: Stores, kind: Kind, op: dict, on_end=None):
        self.st, self.kind, self.op, self.on_end = st, kind, op, on_end
        self.done, self.outcome = False, {}

    def finish(self, ctx: dict | None, exc: Exception | None) -> dict:
        if self.done:
            return self.outcome
        self.done = True
        if exc is None:
            result = self.kind.succeeded(self.op, self.st, ctx)
            self.st.ops.transition(self.op["id"], {"running"}, "succeeded", result=result)
            self.outcome = result
        elif isinstance(exc, FlowCancelled):
            self._cancelled(exc)
        elif isinstance(exc, FlowFailed):
            self._failed(exc.cause, "rolled_back" if exc.rolled_back else "failed", exc.rolled_back)
        elif isinstance(exc, HostflowError):
            self._failed(exc, "failed", rolled_back=False)
        else:
            self._failed(HostflowError(f"internal error: {exc}"), "failed", rolled_back=False)
        self._report()
        return self.outcome

    def _report(self) -> None:
        """Where the operation came from a ticket, its end is reported there; the
        operation's state is recorded already and stays so whatever happens here."""
        if not (self.on_end and self.op.get("reply_to")):
            return
        try:
            self.on_end(self.op["id"])
        except Exception:  # noqa: BLE001 - a lost report must not turn into a lost ending
            log.exception("the report of operation %s could not be recorded", self.op["id"])

    def _cancelled(self, exc: FlowCancelled) -> None:
        """A rejected (or timed-out) approval is queued cancelled: it ends `rejected`."""
        approval = self.op.get("approval") or {}
        if approval.get("decision") not in {"rejected", "timed_out"}:
            self._failed(exc, "cancelled", rolled_back=True)
            return
        note = f": {approval['note']}" if approval.get("note") else ""
        code = "rejected" if approval["decision"] == "rejected" else "approval_timed_out"
        words = approval["decision"].replace("_", " ")
        self._failed(HostflowError(f"{words} by {approval['by']}{note}; nothing was changed", code=code),
                     "rejected", rolled_back=True)

    def _failed(self, err: HostflowError, state: str, rolled_back: bool) -> None:
        outcomes = self.st.ops.done_outcomes(self.op["id"])
        ended = self.kind.cancelled if state in {"cancelled", "rejected"} and self.kind.cancelled else self.kind.failed
        ended(self.op, self.st, outcomes, rolled_back)
        self.st.ops.transition(self.op["id"], {"running"}, state, error_code=err.code, error_message=err.message)
        self.outcome = {"state": state, "error": err.to_dict()}
