"""The tables of operations: each request, its journal of steps, and the reports of its end."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.models.base import Base, new_id, utcnow


class Operation(Base):
    __tablename__ = "operations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(24), default="queued")
    source: Mapped[str] = mapped_column(String(40), default="api")
    requester: Mapped[str] = mapped_column(String(255), default="")
    host_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    volume_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    backup_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    flow_run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    reply_to: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # the ticket to report the end to
    cancel_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancel_requested_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    approval_reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why the policy asks for it
    approval_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    approval_decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    approval_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    approval_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    deployment_run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)  # its Prefect deployment run
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class OperationStep(Base):
    """The journal: one row per step and direction (do or undo) of an operation."""

    __tablename__ = "operation_steps"
    __table_args__ = (UniqueConstraint("operation_id", "name", "direction"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operation_id: Mapped[str] = mapped_column(ForeignKey("operations.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    direction: Mapped[str] = mapped_column(String(4), default="do")
    node: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(16), default="running")
    changed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    outcome: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_details: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    progress: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Notification(Base):
    """A report-back of an operation's end to where it came from (a ticket). `failed`
    is not final: the delivery is tried again at `next_attempt_at` until it is `sent`."""

    __tablename__ = "notifications"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    operation_id: Mapped[str] = mapped_column(ForeignKey("operations.id"), index=True)
    target: Mapped[str] = mapped_column(String(40))  # jira, servicenow
    method: Mapped[str] = mapped_column(String(8))
    url: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(8), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class OutboxEntry(Base):
    """An operation (one attempt of it) to hand to the flow runners' queue. It commits in
    the same transaction as what makes the operation `queued`, and goes when a runner
    takes the operation (or the operation is no longer queued): until then the relay
    (operations.outbox) makes sure a job for it is on the queue, however often it must."""

    __tablename__ = "operation_outbox"
    operation_id: Mapped[str] = mapped_column(ForeignKey("operations.id"), primary_key=True)
    attempt: Mapped[int] = mapped_column(Integer, primary_key=True)
    gate: Mapped[bool] = mapped_column(Boolean, default=False)  # the approval policy is still to be asked
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
