"""Progress of a chat-started operation, posted to the command's response_url: bounded
(Slack takes five posts per response_url, and the end reports need theirs), at least
`interval_s` apart, each naming the steps that started or ended since the one before."""
from __future__ import annotations

import time
from collections.abc import Callable

from infra.db.operations import TERMINAL

MAX_LINES = 8
MOVING = {"queued", "running"}  # other states (awaiting_approval) are news by themselves


class Progress:
    def __init__(self, post: Callable[[str], None], posts: int, interval_s: float,
                 clock: Callable[[], float] = time.monotonic):
        self.post, self.left, self.interval_s, self.clock = post, posts, interval_s, clock
        self.last: float | None = None
        self.seen: dict[tuple[str, str, str], str] = {}

    def update(self, op: dict) -> bool:
        """Posts what changed in `op` since the last post, when one is due; True if it did.
        An ended operation gets no progress: its result is posted instead."""
        if op["state"] in TERMINAL or self.left <= 0:
            return False
        changed = [s for s in op.get("steps") or [] if self.seen.get(_key(op, s)) != s["state"]]
        waiting = op["state"] not in MOVING and self.seen.get((op["id"], "", "")) != op["state"]
        if not (changed or waiting) or (self.last is not None and self.clock() - self.last < self.interval_s):
            return False
        self.post(text(op, changed))
        self.left, self.last = self.left - 1, self.clock()
        self.seen.update({_key(op, s): s["state"] for s in changed})
        self.seen[(op["id"], "", "")] = op["state"]
        return True


def _key(op: dict, step: dict) -> tuple[str, str, str]:
    return op["id"], step["name"], step["direction"]


def text(op: dict, changed: list[dict]) -> str:
    lines = [f"{op['kind']} `{op['id']}` is {op['state']}" + (":" if changed else ".")]
    for step in changed[-MAX_LINES:]:
        undo = " (undo)" if step["direction"] != "do" else ""
        percent = (step.get("progress") or {}).get("percent")
        lines.append(f"  {step['name']}{undo}: {step['state']}" + (f" ({percent}%)" if percent is not None else ""))
    if len(changed) > MAX_LINES:
        lines.insert(1, f"  ... {len(changed) - MAX_LINES} earlier steps")
    return "\n".join(lines)
