"""A chat command's report and progress: its response_url takes posts for 30 minutes after
the command, so a later report is dropped with its reason, never retried; progress posts
are bounded and spaced."""
from datetime import timedelta

import pytest

from infra.db.models import utcnow
from infra.db.notifications import NotificationStore
from infra.db.operations import OperationStore
from infra.settings import Settings
from tests.unit.test_ticket_reports import Receiver
from webhooks.chat.progress import Progress
from webhooks.chat.replies import expires_at
from webhooks.notifier import deliver, deliver_due, record_end

SETTINGS = Settings.from_env({})


@pytest.fixture
def stores(db):
    return OperationStore(db), NotificationStore(db)


def chat_report(stores, commanded_at):
    ops, notes = stores
    reply_to = {"target": "slack", "response_url": "https://hooks.slack.com/commands/T1/2/x",
                "expires_at": expires_at(SETTINGS, commanded_at)}
    op, _ = ops.create("resize_host", f"k-{commanded_at.isoformat()}", {"flavor": {}}, reply_to=reply_to)
    ops.transition(op["id"], {"queued"}, "succeeded")
    return record_end(notes, ops.get(op["id"]), SETTINGS)


def test_a_report_within_30_minutes_of_the_command_is_posted(stores):
    note = chat_report(stores, utcnow() - timedelta(minutes=29))
    receiver = Receiver()
    assert deliver(stores[1], note["id"], SETTINGS, receiver) == "sent"
    assert receiver.calls[0][1] == "https://hooks.slack.com/commands/T1/2/x"


def test_a_report_later_than_30_minutes_after_the_command_is_dropped_with_its_reason_never_retried(stores):
    ops, notes = stores
    note = chat_report(stores, utcnow() - timedelta(minutes=31))
    receiver = Receiver()
    assert deliver(notes, note["id"], SETTINGS, receiver) == "dropped"
    dropped = notes.get(note["id"])
    assert dropped["state"] == "dropped" and "response_url expired" in dropped["last_error"]
    assert deliver_due(notes, SETTINGS, receiver, now=utcnow() + timedelta(days=1)) == {}
    assert receiver.calls == []
    assert ops.get(note["operation_id"])["notify"] == "dropped"


def test_a_failed_post_is_retried_only_until_the_response_url_expires(stores):
    notes = stores[1]
    note = chat_report(stores, utcnow() - timedelta(minutes=20))
    assert deliver(notes, note["id"], SETTINGS, Receiver(up=False)) == "failed"
    later = utcnow() + timedelta(minutes=15)
    assert deliver_due(notes, SETTINGS, Receiver(), now=later) == {note["id"]: "dropped"}


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def op_with(*steps, state="running"):
    return {"id": "op1", "kind": "resize_host", "state": state,
            "steps": [{"name": n, "direction": "do", "state": s, "progress": None} for n, s in steps]}


def test_progress_posts_are_spaced_bounded_and_name_what_changed():
    posts, clock = [], Clock()
    progress = Progress(posts.append, posts=2, interval_s=5, clock=clock)
    assert progress.update(op_with(("stop", "running")))
    assert not progress.update(op_with(("stop", "running")))  # nothing changed
    clock.now = 2
    assert not progress.update(op_with(("stop", "done"), ("grow_disk", "running")))  # too soon
    clock.now = 6
    assert progress.update(op_with(("stop", "done"), ("grow_disk", "running")))
    clock.now = 20
    assert not progress.update(op_with(("stop", "done"), ("grow_disk", "done")))  # the bound
    assert len(posts) == 2
    assert "stop: running" in posts[0] and "stop: done" in posts[1] and "grow_disk: running" in posts[1]


def test_an_ended_operation_gets_no_progress_post():
    posts = []
    progress = Progress(posts.append, posts=3, interval_s=0)
    assert not progress.update(op_with(("stop", "done"), state="succeeded"))
    assert posts == []


def test_waiting_for_approval_is_news_by_itself_once():
    posts = []
    progress = Progress(posts.append, posts=3, interval_s=0)
    assert not progress.update(op_with(state="queued"))
    assert progress.update(op_with(state="awaiting_approval"))
    assert not progress.update(op_with(state="awaiting_approval"))
    assert posts == ["resize_host `op1` is awaiting_approval."]
