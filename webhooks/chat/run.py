"""A changing chat command runs in a background thread, so the slash command is answered
within 3 s: the answer names the first operation it started, or says why nothing started.
The thread makes the command's service calls (`webhooks.chat.actions`; `attach <host>
<size>g` waits for its volume to be created before attaching it), follows the last
operation it started, and posts bounded progress to the response_url. Each operation's end is posted
by the notifier (recorded, retried), not from here."""
from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from pydantic import ValidationError

from cli.grammar import Command
from infra.db.operations import TERMINAL
from infra.errors import HostflowError
from infra.http_report import DeliveryFailed, send
from operations.services import Services
from webhooks.chat import replies
from webhooks.chat.actions import Caller, change
from webhooks.chat.buttons import approval_blocks
from webhooks.chat.progress import Progress
from webhooks.chat.replies import ephemeral
from webhooks.chat.users import ChatUser

log = logging.getLogger("hostflow.chat")


class NotFollowed(HostflowError):
    """The response_url expired while the operation still ran: nothing could be posted any more."""

    code = "not_followed"

ACK_WAIT_S = 2.0  # the slash command's answer waits this long for the first operation
POLL_S = 1.0
POST_TIMEOUT_S = 5.0


def failure(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return getattr(exc, "message", None) or str(exc)


def started(command: Command, op: dict) -> str:
    then = " The next step starts once it succeeds." if op["kind"] == "create_volume" and command.verb == "attach" \
        else ""
    return (f"Started {op['kind']} `{op['id']}` ({op['state']}).{then} "
            "I will post progress and the result here.")


def start(svc: Services, user: ChatUser, source: str, text: str, command: Command, reply_to: dict | None,
          delivery: str | None = None) -> dict:
    job = ChatJob(svc, user, source, text, command, reply_to, delivery)
    threading.Thread(target=job.run, name="hostflow-chat-command", daemon=True).start()
    return job.answer(ACK_WAIT_S)


class ChatJob:
    def __init__(self, svc, user: ChatUser, source: str, text: str, command: Command, reply_to: dict | None,
                 delivery: str | None = None):
        self.svc, self.text, self.command, self.reply_to = svc, text.strip(), command, reply_to
        self.source = source
        self.caller = Caller(svc, user, source, reply_to, started=self._submitted, wait=self.follow,
                             delivery=delivery)
        settings = svc.settings
        self.progress = Progress(self.post, settings.chat_progress_posts, settings.chat_progress_interval_s)
        stamp = (reply_to or {}).get("expires_at")
        self.deadline = datetime.fromisoformat(stamp) if stamp else datetime.fromisoformat(replies.expires_at(settings))
        self.ops: list[dict] = []
        self.failure: str | None = None
        self.answered = False
        self.settled = threading.Event()  # an operation started, or the command failed
        self.lock = threading.Lock()

    def _submitted(self, op: dict) -> None:
        with self.lock:
            late = self.answered and not self.ops  # the answer could not name it
            self.ops.append(op)
        self.settled.set()
        if late:
            self.post(started(self.command, op))

    def answer(self, timeout: float) -> dict:
        """Ephemeral, except for an operation awaiting approval: Slack's answer then shows
        the channel (and its approvers) the Approve and Reject buttons."""
        self.settled.wait(timeout)
        with self.lock:
            self.answered = True
            ops, failed = list(self.ops), self.failure
        if not ops:
            return ephemeral(f"`{self.text}` failed: {failed}" if failed
                             else f"Working on `{self.text}`; I will post here what it starts.")
        answer = started(self.command, ops[0]) + (f"\nThen it failed: {failed}" if failed else "")
        if ops[0]["state"] == "awaiting_approval" and self.source == "slack":
            return {"response_type": "in_channel", "text": answer, "blocks": approval_blocks(ops[0])}
        return ephemeral(answer)

    def run(self) -> None:
        try:
            change(self.caller, self.command)
        except (HostflowError, ValidationError) as exc:
            return self._failed(failure(exc))
        except Exception:  # noqa: BLE001 - nobody else would hear of it
            log.exception("chat command %r failed", self.text)
            return self._failed("internal error; see the API log")
        self.settled.set()
        if self.ops:
            try:
                self.follow(self.ops[-1]["id"], only_while_posting=True)
            except HostflowError:
                return  # the response_url expired (or the record is gone): nothing more to post

    def _failed(self, message: str) -> None:
        with self.lock:
            self.failure, late = message, self.answered
        self.settled.set()
        if late:
            self.post(f"`{self.text}` failed: {message}")

    def follow(self, op_id: str, only_while_posting: bool = False) -> dict:
        """The operation once it ended, posting its progress meanwhile; NotFollowed once
        the response_url has expired."""
        while True:
            op = self.svc.operations.get(op_id)
            if op["state"] in TERMINAL or (only_while_posting and self.progress.left <= 0):
                return op
            if datetime.now(UTC) >= self.deadline:
                raise NotFollowed(f"{op['kind']} {op_id} is still {op['state']}; stopped following it")
            self.progress.update(op)
            time.sleep(POLL_S)

    def post(self, text: str) -> None:
        """Best effort: progress that cannot be posted now is not worth posting later."""
        if not self.reply_to or datetime.now(UTC) >= self.deadline:
            return
        report = replies.progress(self.reply_to, text)
        try:
            send(report.method, report.url, report.body, None, POST_TIMEOUT_S)
        except DeliveryFailed as exc:
            log.warning("chat progress for %r not posted: %s", self.text, exc.message)
