"""Reporting an operation's end back to its ticket. The report is recorded first (a
row), then delivered by a job on the control queue; a failed delivery is tried again
with exponential backoff, by the control plane's `reports` sweep, until it is sent."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from infra.db.engine import database
from infra.db.models import utcnow
from infra.db.notifications import NotificationStore
from infra.db.operations import OperationStore
from infra.http_report import DeliveryFailed
from infra.queue import queue, redis_from_url
from webhooks.chat import replies
from webhooks.report import summary
from webhooks.tickets import jira, servicenow

log = logging.getLogger("hostflow.notifier")
DELIVER_JOB = "workers.housekeeping.deliver_notification"
# target -> (the report's HTTP call, its credentials from settings)
TARGETS = {"jira": (jira.comment, jira.auth), "servicenow": (servicenow.work_notes, servicenow.auth),
           "slack": (replies.response, replies.auth), "mattermost": (replies.response, replies.auth)}


def record_end(store: NotificationStore, op: dict, settings) -> dict | None:
    """The report of an ended operation that came from a ticket or a chat; None for any other."""
    reply_to = op.get("reply_to") or {}
    if reply_to.get("target") not in TARGETS:
        return None
    build, _ = TARGETS[reply_to["target"]]
    link = f"{settings.api_url.rstrip('/')}/v1/operations/{op['id']}"
    report = build(reply_to, summary(op, link), settings)
    return store.add(op["id"], reply_to["target"], report.method, report.url, report.body)


def deliver(store: NotificationStore, notification_id: str, settings, send, now: datetime | None = None) -> str:
    """One attempt: `sent`, `failed` (tried again later), `dropped` (its chat response_url
    has expired: never sent), or `skipped` (sent, or not due)."""
    now = now or utcnow()
    note = store.claim(notification_id, now, lease_s=settings.notify_timeout + 60)
    if note is None:
        return "skipped"
    reason = _unaddressed(note) or _expired(store, note, now)
    if reason:
        log.info("report %s of operation %s dropped: %s", notification_id, note["operation_id"], reason)
        store.dropped(notification_id, reason)
        return "dropped"
    _, auth = TARGETS[note["target"]]
    try:
        send(note["method"], note["url"], note["payload"], auth(settings), settings.notify_timeout)
    except DeliveryFailed as exc:
        retry_at = now + backoff(note["attempts"], settings)
        log.warning("report %s of operation %s failed (attempt %d, next %s): %s", notification_id,
                    note["operation_id"], note["attempts"], retry_at.isoformat(), exc.message)
        store.failed(notification_id, exc.message, retry_at)
        return "failed"
    store.sent(notification_id, now)
    return "sent"


def _unaddressed(note: dict) -> str | None:
    """A ticket system whose base URL is not configured gets nothing, credentials least of all."""
    if note["url"]:
        return None
    return f"{note['target']}_url_unset: HOSTFLOW_{note['target'].upper()}_URL is not set"


def _expired(store: NotificationStore, note: dict, now: datetime) -> str | None:
    if note["target"] not in replies.CHAT_TARGETS:
        return None
    return replies.expired(OperationStore(store.db).get(note["operation_id"])["reply_to"], now)


def deliver_due(store: NotificationStore, settings, send, now: datetime | None = None) -> dict[str, str]:
    now = now or utcnow()
    return {nid: deliver(store, nid, settings, send, now) for nid in store.due(now)}


def backoff(attempts: int, settings) -> timedelta:
    return timedelta(seconds=min(settings.notify_backoff_s * 2 ** max(attempts - 1, 0), settings.notify_backoff_max_s))


def report_end(settings, op_id: str) -> None:
    """An operation from a ticket ended: its report is recorded, then queued for delivery.
    Should the queue fail, the `reports` sweep finds it due and delivers it."""
    db = database(settings.database_url)
    note = record_end(NotificationStore(db), OperationStore(db).get(op_id), settings)
    if note is None:
        return
    try:
        queue(redis_from_url(settings.redis_url), "control").enqueue(DELIVER_JOB, args=(note["id"],), result_ttl=600)
    except Exception:  # noqa: BLE001 - the row is recorded; the sweep delivers it
        log.exception("report %s could not be queued; the reports sweep will deliver it", note["id"])
