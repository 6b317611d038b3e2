"""The API client of the older subcommands (`hostflow create --wait`, ...): it follows an
operation, printing each step as it starts and ends, until the operation ends."""
from __future__ import annotations

import sys
import time

from cli import client as api_client

TERMINAL = {"succeeded", "failed", "rolled_back", "cancelled", "rejected"}


def _show_progress(op: dict, shown, out):
    """Prints the running step's progress when its percentage moved; answers the percentage shown."""
    progress = op.get("progress")
    if progress and progress.get("percent") != shown and op["state"] == "running":
        shown = progress["percent"]
        print(f"  {progress['step']:28} {progress['done_bytes'] >> 20} of {progress['total_bytes'] >> 20} MiB "
              f"({shown}%)", file=out, flush=True)
    return shown


def _show_steps(op: dict, seen: dict[tuple, str], out) -> None:
    """Prints each step (and undo) whose state changed since `seen`, and records it there."""
    for step in op["steps"]:
        key = (step["name"], step["direction"])
        if seen.get(key) != step["state"]:
            seen[key] = step["state"]
            label = step["name"] if step["direction"] == "do" else f"undo {step['name']}"
            note = f" ({step['note']})" if step.get("note") else ""
            print(f"  {label:28} {step['node']:10} {step['state']}{note}", file=out, flush=True)


class Client(api_client.Client):
    def follow(self, op_id: str, out=sys.stdout) -> dict:
        """Prints each step as it starts and ends, until the operation ends."""
        seen: dict[tuple, str] = {}
        shown = None
        while True:
            op = self.call("GET", f"/v1/operations/{op_id}")["operation"]
            shown = _show_progress(op, shown, out)
            _show_steps(op, seen, out)
            if op["state"] in TERMINAL:
                return op
            time.sleep(0.3)
