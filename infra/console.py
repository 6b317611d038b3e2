"""Reads the guest's serial console log for its HOSTFLOW-STATE lines."""
from __future__ import annotations

import json
from pathlib import Path

MARK = "HOSTFLOW-STATE "


def size(log: Path) -> int:
    try:
        return log.stat().st_size
    except FileNotFoundError:
        return 0


def states(log: Path, offset: int = 0) -> list[dict]:
    """The state lines in the log, from byte `offset` on."""
    try:
        with log.open("rb") as fh:
            fh.seek(offset)
            text = fh.read().decode(errors="replace")
    except FileNotFoundError:
        return []
    found = []
    for line in text.splitlines():
        start = line.find(MARK)
        if start < 0:
            continue
        try:
            found.append(json.loads(line[start + len(MARK):].strip()))
        except json.JSONDecodeError:
            continue
    return found


def latest(log: Path, offset: int = 0) -> dict | None:
    all_states = states(log, offset)
    return all_states[-1] if all_states else None


def tail(log: Path, lines: int = 50) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""
