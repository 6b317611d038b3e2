"""The tail of a host's serial console log, read on its node: the API has no disk in
common with the hypervisors."""
from __future__ import annotations

import re

from functions.node import Node
from functions.outcome import Outcome, Plan

MAX_LINES = 1000
MAX_BYTES = 64 * 1024
# CSI and OSC sequences, then any other escape or control character but tab and newline
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str) -> str:
    """Terminal escapes and control characters out; carriage returns too (a serial line
    ends in CR LF)."""
    return ANSI.sub("", text)


def bounded(text: str, lines: int, max_bytes: int = MAX_BYTES) -> str:
    """The last `lines` lines, and of those no more than the last `max_bytes` bytes
    (cut at a line's start)."""
    kept = "\n".join(text.splitlines()[-lines:])
    data = kept.encode()
    if len(data) <= max_bytes:
        return kept
    cut = data[-max_bytes:].decode(errors="ignore")
    return cut.split("\n", 1)[1] if "\n" in cut else cut


def console_tail(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "lines"}. Reads; changes nothing."""
    lines = max(1, min(int(req.get("lines", 50)), MAX_LINES))
    log = node.console_log(req["host_id"])
    raw = node.consoles.tail(log, lines + 1)
    return Outcome.unchanged("read", note=f"{lines} lines", text=bounded(clean(raw), lines),
                             exists=log.exists())


def plan_console_tail(_node: Node, _req: dict) -> Plan:
    return Plan("none", "reads the console log")
