"""The `hostflow` command's grammar verbs (cli.grammar, as in chat) and `ops`."""
from __future__ import annotations

import argparse
import io
import json
import sys

from cli import views as cli_views
from cli.grammar import Command, parse, usage_text
from cli.runner import run
from cli.watch import watch

FLAGS = {"--json", "--wait"}
OPS_USAGE = """\
  ops list [--state S] [--kind K] [--limit N]   operations, newest first
  ops show <id>                                  an operation and its steps
  ops watch <id>                                 follow it live; exit 1 unless it succeeds
  ops cancel <id>                                stop it after its current step and undo what it did
  ops approve|reject <id> [--note TEXT]          answer an operation awaiting approval
  tokens list | tokens create <name> <role> [--project P ...] | tokens revoke <id>   (admin)
  drift [--kind K ...] [--repair]                what drifted from the record; exit 1 if anything did (admin)
Flags: --json (the API's answers, for scripts), --wait (follow what a command started)."""


def split_flags(words: list[str]) -> tuple[set[str], list[str]]:
    return {w for w in words if w in FLAGS}, [w for w in words if w not in FLAGS]


def full_usage() -> str:
    return usage_text() + "\n" + OPS_USAGE


def _dump(data) -> None:
    print(json.dumps(data, indent=2))


def ended(op: dict) -> int:
    return 0 if op["state"] == "succeeded" else 1


def follow(client, op_id: str, as_json: bool) -> dict:
    """Watches quietly (no display) for --json: only the final operation is printed."""
    if as_json:
        op = watch(client, op_id, io.StringIO())
        _dump({"operation": op})
        return op
    return watch(client, op_id, sys.stdout)


def show(command: Command, answers: list[dict], as_json: bool) -> None:
    if as_json:
        _dump(answers[-1] if len(answers) == 1 else answers)
    elif command.verb == "hosts":
        print(cli_views.hosts(answers[-1]))
    elif command.verb == "status":
        print(cli_views.operation(answers[-1]["operation"]))
    else:
        print(cli_views.accepted(answers[-1]))


def run_grammar(connect, words: list[str]) -> int:
    flags, words = split_flags(words)
    command = parse(["help"] if {"-h", "--help"} & set(words) else words)
    if command.verb == "help":
        print(full_usage())
        return 0
    client, as_json = connect(), "--json" in flags
    answers = run(client, command, lambda op_id: watch(client, op_id, io.StringIO() if as_json else sys.stdout))
    show(command, answers, as_json)
    if "--wait" in flags and command.changes:
        return ended(follow(client, answers[-1]["operation"]["id"], as_json))
    return 0


def ops_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hostflow ops")
    sub = p.add_subparsers(dest="action", required=True)
    s = sub.add_parser("list")
    s.add_argument("--state")
    s.add_argument("--kind")
    s.add_argument("--limit", type=int)
    for name in ("show", "watch", "cancel"):
        sub.add_parser(name).add_argument("id")
    for name in ("approve", "reject"):
        s = sub.add_parser(name)
        s.add_argument("id")
        s.add_argument("--note", default="")
    return p


ANSWERS = {"cancel": "cancel", "approve": "approve", "reject": "reject"}


def run_ops(connect, words: list[str]) -> int:
    flags, words = split_flags(words)
    a = ops_parser().parse_args(words)
    client, as_json = connect(), "--json" in flags
    if a.action == "list":
        params = {k: v for k, v in {"state": a.state, "kind": a.kind, "limit": a.limit}.items() if v is not None}
        answer = client.call("GET", "/v1/operations", params=params)
        print(json.dumps(answer, indent=2) if as_json else cli_views.operations(answer))
        return 0
    if a.action == "show":
        answer = client.call("GET", f"/v1/operations/{a.id}")
        print(json.dumps(answer, indent=2) if as_json else cli_views.operation(answer["operation"]))
        return 0
    if a.action in ANSWERS:
        body = {"note": a.note} if getattr(a, "note", "") else None
        answer = client.call("POST", f"/v1/operations/{a.id}/{ANSWERS[a.action]}", body)
        print(json.dumps(answer, indent=2) if as_json else cli_views.operation(answer["operation"]))
        return 0
    return ended(follow(client, a.id, as_json))


def tokens_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hostflow tokens")
    sub = p.add_subparsers(dest="action", required=True)
    sub.add_parser("list")
    s = sub.add_parser("create")
    s.add_argument("name")
    s.add_argument("role", choices=["admin", "operator", "viewer"])
    s.add_argument("--project", action="append", default=[], help="a project it may act on (repeat)")
    sub.add_parser("revoke").add_argument("id")
    return p


def run_tokens(connect, words: list[str]) -> int:
    """The secret of a new token is printed once: the API keeps only its hash."""
    flags, words = split_flags(words)
    a = tokens_parser().parse_args(words)
    client, as_json = connect(), "--json" in flags
    if a.action == "list":
        answer = client.call("GET", "/v1/tokens")
        print(json.dumps(answer, indent=2) if as_json else cli_views.tokens(answer))
    elif a.action == "create":
        answer = client.call("POST", "/v1/tokens", {"name": a.name, "role": a.role, "projects": a.project})
        token = answer["token"]
        print(json.dumps(answer, indent=2) if as_json else
              f"token {token['id']} ({token['role']}) for {token['name']}; its secret, shown this once:\n"
              f"{token['secret']}")
    else:
        answer = client.call("DELETE", f"/v1/tokens/{a.id}")
        print(json.dumps(answer, indent=2) if as_json else f"token {a.id} revoked")
    return 0
