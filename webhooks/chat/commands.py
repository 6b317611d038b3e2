"""A slash command's text, from a chat user, to the answer the chat shows within 3 s:
usage help, a refusal, what was read, or the acknowledgement naming the operation started
(the command itself then runs on in `webhooks.chat.run`)."""
from __future__ import annotations

from pydantic import ValidationError

from cli.grammar import READS, Command, UsageError, parse, usage_text
from infra.errors import HostflowError
from operations.services import Services
from webhooks.chat import run as chat_run
from webhooks.chat.actions import Caller, read
from webhooks.chat.replies import ephemeral
from webhooks.chat.users import ChatUser


def answer(svc: Services, user: ChatUser, source: str, text: str, reply_to: dict | None,
           delivery: str | None = None) -> dict:
    """`delivery`: the key of the signed request (Slack: its timestamp and body); a changing
    command whose request already started an operation starts nothing again."""
    try:
        command = parse(text)
    except UsageError as exc:
        return ephemeral(f"{exc.message}\n```\n{exc.usage}\n```" if exc.usage else exc.message)
    refused = refusal(user, command)
    if refused:
        return ephemeral(refused)
    if command.verb == "help":
        return ephemeral(f"```\n{usage_text()}\n```")
    if command.changes:
        seen = svc.operations.by_key(f"{delivery}:0") if delivery else None
        if seen is not None:
            return ephemeral(f"`{text.strip()}` was already received: it started {seen['kind']} `{seen['id']}` "
                             f"({seen['state']}). Nothing new was started.")
        return chat_run.start(svc, user, source, text, command, reply_to, delivery)
    try:
        answer = read(Caller(svc, user, source, reply_to), command)
    except (HostflowError, ValidationError) as exc:
        return ephemeral(f"`{text.strip()}` failed: {chat_run.failure(exc)}")
    return ephemeral(show(command, answer))


def refusal(user: ChatUser, command: Command) -> str | None:
    if command.changes and not user.may_change:
        return f"Sorry, your role ({user.role}) may only run {', '.join(sorted(READS))}."
    return None


def show(command: Command, answer: dict) -> str:
    if command.verb == "hosts":
        return show_hosts(answer["hosts"])
    return show_operation(answer["operation"])


def show_hosts(hosts: list[dict]) -> str:
    if not hosts:
        return "No hosts."
    lines = [f"{h['name']}  {h['env']}  {h['state']}  {h['fqdn']}  {h['id']}" for h in hosts]
    return "```\n" + "\n".join(lines) + "\n```"


def show_operation(op: dict) -> str:
    lines = [f"{op['kind']} `{op['id']}`: {op['state']}"]
    if op.get("error"):
        lines.append(f"error: {op['error'].get('code')}: {op['error'].get('message')}")
    lines += [f"  {s['name']} ({s['direction']}): {s['state']}" for s in op.get("steps") or []]
    return "\n".join(lines)
