"""`hostflow ops watch`: an operation's steps as they run, with byte progress.

On a terminal the block of lines is redrawn in place; otherwise (a pipe, CI's log)
a line is printed only when a step changes state or its progress passes another
tenth, so the log stays short."""
from __future__ import annotations

import shutil
import time

from cli.views import step_label

TERMINAL = {"succeeded", "failed", "rolled_back", "rejected", "cancelled"}
BAR = 24
INTERVAL = 0.5  # seconds between polls


def progress_line(progress: dict) -> str:
    percent = progress.get("percent") or 0.0
    filled = int(BAR * min(percent, 100.0) / 100)
    done, total = progress.get("done_bytes", 0) >> 20, progress.get("total_bytes", 0) >> 20
    return f"    [{'#' * filled}{'.' * (BAR - filled)}] {percent:5.1f}%  {done} of {total} MiB"


def frame(op: dict) -> list[tuple[tuple, str, object]]:
    """(key, text, what counts as a change in a log) for each line of the display."""
    lines = [(("op",), f"{op['kind']} {op['id']}: {op['state']}", op["state"])]
    for step in op.get("steps") or []:
        note = f" ({step['note']})" if step.get("note") else ""
        text = f"  {step_label(step):30} {step['node'] or '-':10} {step['state']}{note}"
        key = (step["name"], step["direction"])
        lines.append((key, text, step["state"]))
        progress = step.get("progress")
        if progress and step["state"] == "running":
            lines.append((key + ("progress",), progress_line(progress), int((progress.get("percent") or 0) // 10)))
    if op["state"] in TERMINAL and op.get("error"):
        lines.append((("error",), f"  error: {op['error']['code']}: {op['error']['message']}", op["error"]["code"]))
    return lines


class LiveDisplay:
    """Redraws the whole block: the cursor goes back up over the lines drawn last time."""

    def __init__(self, out):
        self.out, self.drawn = out, 0

    def show(self, op: dict) -> None:
        """Lines are cut to the terminal's width: a wrapped line would throw the count off."""
        width = shutil.get_terminal_size().columns
        lines = [text[:width] for _, text, _ in frame(op)]
        up = f"\x1b[{self.drawn}F\x1b[J" if self.drawn else ""
        self.out.write(up + "".join(f"{line}\n" for line in lines))
        self.out.flush()
        self.drawn = len(lines)


class LogDisplay:
    def __init__(self, out):
        self.out, self.seen = out, {}

    def show(self, op: dict) -> None:
        for key, text, marker in frame(op):
            if self.seen.get(key, object()) != marker:
                self.seen[key] = marker
                print(text, file=self.out, flush=True)


def watch(client, op_id: str, out, live: bool | None = None) -> dict:
    """Follows the operation until it ends; returns it."""
    live = out.isatty() if live is None else live
    display = LiveDisplay(out) if live else LogDisplay(out)
    while True:
        op = client.call("GET", f"/v1/operations/{op_id}")["operation"]
        display.show(op)
        if op["state"] in TERMINAL:
            return op
        time.sleep(INTERVAL)
