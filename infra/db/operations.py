"""Operations and their journal."""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from infra.db import notifications
from infra.db.engine import Database
from infra.db.models import Host, Operation, OperationStep, OutboxEntry, Volume, iso, new_id
from infra.errors import Conflict, Invalid, NotFound

TERMINAL = {"succeeded", "failed", "rolled_back", "cancelled", "rejected"}
NOTIFY_FIELDS = ("target", "state", "attempts", "next_attempt_at", "last_error", "sent")


def fingerprint(kind: str, params: dict) -> str:
    canonical = json.dumps({"kind": kind, "params": params}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


class OperationStore:
    def __init__(self, db: Database):
        self.db = db

    def create(self, kind: str, key: str, params: dict, host_id: str | None = None,
               source: str = "api", requester: str = "", before_insert=None,
               op_id: str | None = None, volume_id: str | None = None,
               backup_id: str | None = None, reply_to: dict | None = None, start: bool = False) -> tuple[dict, bool]:
        """Returns (operation, created). Same key + same request: the existing one.
        Same key + a different request: Invalid. `before_insert(session)` runs in the
        same transaction, so the operation and what it creates land together; with
        `start`, so does its outbox entry (attempt 0, the approval policy still to ask)."""
        fp = fingerprint(kind, params)
        existing = self.by_key(key)
        if existing:
            return self._same_or_invalid(existing, fp), False
        try:
            with self.db.session() as s:
                if before_insert:
                    before_insert(s)
                op = Operation(id=op_id or new_id(), kind=kind, idempotency_key=key, fingerprint=fp, params=params,
                               host_id=host_id, volume_id=volume_id, backup_id=backup_id, source=source,
                               requester=requester, reply_to=reply_to,
                               state="queued")
                s.add(op)
                s.flush()
                if start:
                    s.add(OutboxEntry(operation_id=op.id, attempt=0, gate=True))
                view = _view(op, [])
            return view, True
        except IntegrityError:
            existing = self.by_key(key)
            if existing is None:
                raise
            return self._same_or_invalid(existing, fp), False

    def _same_or_invalid(self, existing: dict, fp: str) -> dict:
        if existing["fingerprint"] != fp:
            raise Invalid("Idempotency-Key was already used with a different request",
                          code="idempotency_key_reused")
        return existing

    def by_key(self, key: str) -> dict | None:
        with self.db.reading() as s:
            op = s.scalar(select(Operation).where(Operation.idempotency_key == key))
            return self._full(s, op) if op else None

    def get(self, op_id: str) -> dict:
        with self.db.reading() as s:
            op = s.get(Operation, op_id)
            if op is None:
                raise NotFound(f"operation {op_id} not found")
            return self._full(s, op)

    def newest_about(self, limit: int = 50, **ref: str) -> list[dict]:
        """The newest operations on one host, volume or backup: ref is host_id=, volume_id= or backup_id=."""
        (column, value), = ref.items()
        with self.db.reading() as s:
            ids = s.scalars(select(Operation.id).where(getattr(Operation, column) == value)
                            .order_by(Operation.created_at.desc()).limit(limit)).all()
        return [self.get(i) for i in ids]

    def latest_for_host(self, host_id: str, kind: str) -> dict | None:
        with self.db.reading() as s:
            op = s.scalar(select(Operation).where(Operation.host_id == host_id, Operation.kind == kind)
                          .order_by(Operation.created_at.desc()).limit(1))
            return self._full(s, op) if op else None

    def latest_for_volume(self, volume_id: str, kind: str) -> dict | None:
        with self.db.reading() as s:
            op = s.scalar(select(Operation).where(Operation.volume_id == volume_id, Operation.kind == kind)
                          .order_by(Operation.created_at.desc()).limit(1))
            return self._full(s, op) if op else None

    def latest_for_backup(self, backup_id: str, kind: str) -> dict | None:
        with self.db.reading() as s:
            op = s.scalar(select(Operation).where(Operation.backup_id == backup_id, Operation.kind == kind)
                          .order_by(Operation.created_at.desc()).limit(1))
            return self._full(s, op) if op else None

    def active_for_volume(self, volume_id: str) -> dict | None:
        with self.db.reading() as s:
            op = s.scalar(select(Operation).where(Operation.volume_id == volume_id,
                                                  Operation.state.not_in(TERMINAL)).limit(1))
            return self._full(s, op) if op else None

    def in_flight(self) -> dict[str, set[str]]:
        """The hosts, volumes and backups that an operation not yet ended concerns."""
        with self.db.reading() as s:
            rows = s.execute(select(Operation.host_id, Operation.volume_id, Operation.backup_id)
                             .where(Operation.state.not_in(TERMINAL))).all()
        return {"hosts": {r[0] for r in rows if r[0]}, "volumes": {r[1] for r in rows if r[1]},
                "backups": {r[2] for r in rows if r[2]}}

    def active_for_host(self, host_id: str) -> dict | None:
        with self.db.reading() as s:
            op = s.scalar(select(Operation).where(Operation.host_id == host_id,
                                                  Operation.state.not_in(TERMINAL)).limit(1))
            return self._full(s, op) if op else None

    def transition(self, op_id: str, from_states: set[str], to_state: str, start_attempt: int | None = None,
                   **fields) -> bool:
        """Compare-and-swap on the state, so two runners never both take an operation.
        `start_attempt`: the attempt to queue, its outbox entry written in the same
        transaction. Taking it (`running`) removes its entries in the same transaction."""
        values = {"state": to_state, **fields}
        if to_state == "running":
            values.setdefault("started_at", now())
        if to_state in TERMINAL:
            values.setdefault("finished_at", now())
        with self.db.session() as s:
            result = s.execute(update(Operation).where(Operation.id == op_id,
                                                       Operation.state.in_(from_states)).values(**values))
            if result.rowcount != 1:
                return False
            if to_state == "running":
                s.execute(delete(OutboxEntry).where(OutboxEntry.operation_id == op_id))
            if start_attempt is not None:
                s.merge(OutboxEntry(operation_id=op_id, attempt=start_attempt, gate=False, created_at=now(),
                                    claimed_until=None, tries=0, last_error=None))
            return True

    def set_fields(self, op_id: str, **fields) -> None:
        with self.db.session() as s:
            s.execute(update(Operation).where(Operation.id == op_id).values(**fields))

    def request_cancel(self, op_id: str, by: str) -> bool:
        """Marks a live operation for cancellation (the first request counts); False once it has ended."""
        with self.db.session() as s:
            result = s.execute(update(Operation).where(
                Operation.id == op_id, Operation.state.not_in(TERMINAL),
                Operation.cancel_requested_at.is_(None)).values(cancel_requested_at=now(), cancel_requested_by=by))
            if result.rowcount:
                return True
            return s.scalar(select(Operation.state).where(Operation.id == op_id)) not in TERMINAL

    def cancel_requested(self, op_id: str) -> str | None:
        """Who asked to cancel the operation, if anyone has."""
        with self.db.reading() as s:
            row = s.execute(select(Operation.cancel_requested_at, Operation.cancel_requested_by)
                            .where(Operation.id == op_id)).first()
            return (row[1] or "someone") if row and row[0] else None

    def awaiting_approval_past(self, deadline: datetime) -> list[str]:
        with self.db.reading() as s:
            return list(s.scalars(select(Operation.id).where(Operation.state == "awaiting_approval",
                                                             Operation.approval_deadline < deadline)))

    def followed_since(self, since: datetime) -> list[dict]:
        """Operations created since then that a Prefect deployment run follows."""
        with self.db.reading() as s:
            rows = s.scalars(select(Operation).where(Operation.deployment_run_id.is_not(None),
                                                     Operation.created_at >= since))
            return [_summary(op) for op in rows]

    def reopen_for_retry(self, op_id: str) -> dict:
        op = self.get(op_id)
        if op["state"] not in {"failed", "rolled_back"}:
            raise Conflict(f"operation is {op['state']}; only a failed operation can be retried",
                           code="not_retryable")
        self.transition(op_id, {"failed", "rolled_back"}, "queued", start_attempt=op["attempts"],
                        error_code=None, error_message=None, finished_at=None)
        return self.get(op_id)

    # journal
    def step_started(self, op_id: str, seq: int, name: str, direction: str, node: str) -> None:
        with self.db.session() as s:
            row = s.scalar(select(OperationStep).where(OperationStep.operation_id == op_id,
                                                       OperationStep.name == name,
                                                       OperationStep.direction == direction))
            row = row or OperationStep(operation_id=op_id, name=name, direction=direction)
            row.seq, row.node, row.state = seq, node, "running"
            row.started_at, row.finished_at = now(), None
            row.error_code = row.error_message = None
            s.add(row)

    def set_progress(self, op_id: str, name: str, progress: dict) -> None:
        """A running step's progress, e.g. {"done_bytes", "total_bytes"}."""
        with self.db.session() as s:
            s.execute(update(OperationStep).where(
                OperationStep.operation_id == op_id, OperationStep.name == name,
                OperationStep.direction == "do").values(progress=progress))

    def step_finished(self, op_id: str, name: str, direction: str, state: str, outcome: dict | None = None,
                      error: dict | None = None) -> None:
        with self.db.session() as s:
            s.execute(update(OperationStep).where(
                OperationStep.operation_id == op_id, OperationStep.name == name,
                OperationStep.direction == direction).values(
                state=state, outcome=outcome, finished_at=now(),
                changed=(outcome or {}).get("changed"),
                error_code=(error or {}).get("code"), error_message=(error or {}).get("message"),
                error_details=(error or {}).get("details")))

    def done_outcomes(self, op_id: str) -> dict[str, dict]:
        """Outcomes of the steps journalled as done (direction "do", succeeded)."""
        with self.db.reading() as s:
            rows = s.scalars(select(OperationStep).where(
                OperationStep.operation_id == op_id, OperationStep.direction == "do",
                OperationStep.state == "succeeded"))
            return {r.name: r.outcome or {} for r in rows}

    def step_state(self, op_id: str, name: str, direction: str) -> str | None:
        with self.db.reading() as s:
            return s.scalar(select(OperationStep.state).where(
                OperationStep.operation_id == op_id, OperationStep.name == name,
                OperationStep.direction == direction))

    def steps(self, op_id: str) -> list[dict]:
        with self.db.reading() as s:
            return [_step_view(r) for r in s.scalars(
                select(OperationStep).where(OperationStep.operation_id == op_id).order_by(OperationStep.id))]

    def list(self, state: str | None = None, kind: str | None = None, limit: int = 50,
             projects: list[str] | None = None) -> tuple[list[dict], int]:
        """The newest `limit` operations matching, without their steps, and how many match in all.
        `projects`: only those on a host or volume of these projects (None: all)."""
        where = [] if projects is None else [in_projects(projects)]
        if state:
            where.append(Operation.state == state)
        if kind:
            where.append(Operation.kind == kind)
        with self.db.reading() as s:
            total = s.scalar(select(func.count()).select_from(Operation).where(*where))
            rows = s.scalars(select(Operation).where(*where).order_by(Operation.created_at.desc()).limit(limit))
            return [_summary(op) for op in rows], total

    def _full(self, s, op: Operation) -> dict:
        rows = s.scalars(select(OperationStep).where(OperationStep.operation_id == op.id)
                         .order_by(OperationStep.id)).all()
        return _view(op, [_step_view(r) for r in rows], notifications.for_operation(s, op.id))


def in_projects(projects: list[str]):
    """Operations on a host or volume of one of these projects."""
    hosts = select(Host.id).where(Host.project.in_(projects))
    volumes = select(Volume.id).where(Volume.project.in_(projects))
    return or_(Operation.host_id.in_(hosts), Operation.volume_id.in_(volumes))


def _view(op: Operation, steps: list[dict], notes: list[dict] = ()) -> dict:
    error = {"code": op.error_code, "message": op.error_message} if op.error_code else None
    return {
        "id": op.id, "kind": op.kind, "state": op.state, "source": op.source, "requester": op.requester,
        "host_id": op.host_id, "volume_id": op.volume_id, "backup_id": op.backup_id, "params": op.params,
        "result": op.result, "error": error,
        "idempotency_key": op.idempotency_key, "fingerprint": op.fingerprint, "attempts": op.attempts,
        "flow_run_id": op.flow_run_id, "created": iso(op.created_at), "started": iso(op.started_at),
        "finished": iso(op.finished_at), "steps": steps, "progress": _current_progress(steps),
        "reply_to": op.reply_to, "notify": notes[-1]["state"] if notes else None,
        "cancel_requested": iso(op.cancel_requested_at), "cancel_requested_by": op.cancel_requested_by,
        "approval": _approval(op), "deployment_run_id": op.deployment_run_id,
        "notifications": [{k: n[k] for k in NOTIFY_FIELDS} for n in notes],
    }


def _approval(op: Operation) -> dict | None:
    if op.approval_reason is None:
        return None
    return {"reason": op.approval_reason, "deadline": iso(op.approval_deadline),
            "decision": op.approval_decision, "by": op.approval_by, "note": op.approval_note}


def _summary(op: Operation) -> dict:
    view = _view(op, [])
    return {k: v for k, v in view.items() if k not in {"fingerprint", "steps", "progress"}}


def _current_progress(steps: list[dict]) -> dict | None:
    """The progress of the step running now (or of the last step that reported one)."""
    reported = [st for st in steps if st["progress"] and st["direction"] == "do"]
    running = [st for st in reported if st["state"] == "running"]
    chosen = (running or reported or [None])[-1]
    return None if chosen is None else {"step": chosen["name"], **chosen["progress"]}


def _step_view(r: OperationStep) -> dict:
    return {
        "name": r.name, "direction": r.direction, "node": r.node, "state": r.state, "changed": r.changed,
        "note": (r.outcome or {}).get("note"), "started": iso(r.started_at), "finished": iso(r.finished_at),
        "error": _step_error(r),
        "progress": _with_percent(r.progress),
    }


def _step_error(r: OperationStep) -> dict | None:
    if not r.error_code:
        return None
    error = {"code": r.error_code, "message": r.error_message}
    return {**error, "details": r.error_details} if r.error_details else error


def _with_percent(progress: dict | None) -> dict | None:
    if not progress:
        return None
    total = progress.get("total_bytes") or 0
    percent = round(100.0 * progress.get("done_bytes", 0) / total, 1) if total else None
    return {**progress, "percent": percent}
