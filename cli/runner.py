"""Runs a parsed `Command` against the API: resolves the host (and volume) it names,
fills in the placeholders of its calls (`cli.calls`), makes them in order."""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from cli.calls import Ref, calls
from cli.grammar import Command

PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")


class CommandFailed(Exception):
    pass


def lookup(ctx: dict, path: str):
    value = ctx
    for part in path.split("."):
        value = value[part]
    return value


def fill(value, ctx: dict):
    if isinstance(value, Ref):
        return lookup(ctx, value.path)
    if isinstance(value, dict):
        return {k: fill(v, ctx) for k, v in value.items()}
    return value


def fill_path(path: str, ctx: dict) -> str:
    return PLACEHOLDER.sub(lambda m: str(lookup(ctx, m[1])), path)


def resolve_host(client, ref: str, env: str | None) -> dict:
    """By id, else by name (and env when given); a name in two environments needs env=."""
    hosts = client.call("GET", "/v1/hosts")["hosts"]
    by_id = [h for h in hosts if h["id"] == ref]
    if by_id:
        return by_id[0]
    named = [h for h in hosts if h["name"] == ref and env in (None, h["env"])]
    if not named:
        raise CommandFailed(f"no host named {ref!r}" + (f" in env {env}" if env else ""))
    if len(named) > 1:
        envs = ", ".join(sorted(h["env"] for h in named))
        raise CommandFailed(f"{len(named)} hosts are named {ref!r} (envs {envs}): add env=<env>")
    return named[0]


def resolve_volume(client, host: dict, ref: str) -> dict:
    volumes = [v for v in client.call("GET", "/v1/volumes")["volumes"] if v["host_id"] == host["id"]]
    found = [v for v in volumes if v["id"] == ref] or [v for v in volumes if v["name"] == ref]
    if not found:
        raise CommandFailed(f"host {host['name']!r} has no volume {ref!r} attached")
    if len(found) > 1:
        raise CommandFailed(f"host {host['name']!r} has {len(found)} volumes named {ref!r}: give its id")
    return found[0]


def context(client, command: Command) -> dict:
    ctx = {}
    if command.host:
        ctx["host"] = resolve_host(client, command.host, command.env)
    if command.volume:
        ctx["volume"] = resolve_volume(client, ctx["host"], command.volume)
    return ctx


def run(client, command: Command, wait: Callable[[str], dict]) -> list[dict]:
    """The answers of the command's calls. `wait(op_id)` follows an operation to its
    end; a call marked `await_success` must end `succeeded` before the next starts."""
    ctx = context(client, command)
    answers = []
    for call in calls(command):
        headers = {"Idempotency-Key": str(uuid.uuid4())} if call.method != "GET" else None
        answer = client.call(call.method, fill_path(call.path, ctx), fill(call.body, ctx), headers=headers)
        answers.append(answer)
        ctx.update(answer)
        if call.await_success:
            op = wait(answer["operation"]["id"])
            if op["state"] != "succeeded":
                error = (op.get("error") or {}).get("message") or op["state"]
                raise CommandFailed(f"{op['kind']} {op['id']} ended {op['state']}: {error}; nothing more was done")
    if command.verb == "hosts" and command.env:
        answers[-1] = {"hosts": [h for h in answers[-1]["hosts"] if h["env"] == command.env]}
    return answers
