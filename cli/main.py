"""The `hostflow` command (also `python -m cli.main`): the chat grammar (cli.grammar),
`ops list|show|watch`, `tokens`, `drift` (cli.drift), and the resource subcommands
(`create`, `delete`, `backup`, ...: cli.subcommands, parsed by cli.parser, run by cli.handlers).

URL and token: HOSTFLOW_API_URL and HOSTFLOW_TOKEN, else a config file (cli.client)."""
from __future__ import annotations

import sys

from cli import client as api_client
from cli.client import ApiError
from cli.commands import full_usage, run_grammar, run_ops, run_tokens
from cli.drift import run_drift
from cli.follow import Client
from cli.grammar import VERBS, UsageError
from cli.runner import CommandFailed
from cli.subcommands import run_subcommand, subcommand_names


def connect() -> Client:
    return Client(*api_client.credentials())


def dispatch(argv: list[str]) -> int:
    verb = argv[0] if argv else ""
    if verb in {"-h", "--help"}:
        print(full_usage() + "\n\nmore: " + " ".join(sorted(subcommand_names())) + " (hostflow <command> -h)")
        return 0
    if verb == "ops":
        return run_ops(connect, argv[1:])
    if verb == "tokens":
        return run_tokens(connect, argv[1:])
    if verb == "drift":
        return run_drift(connect, argv[1:])
    if verb.lower() in VERBS or verb not in subcommand_names():
        return run_grammar(connect, argv)
    return run_subcommand(connect, argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return dispatch(argv)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (ApiError, CommandFailed) as exc:
        print(f"hostflow: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
