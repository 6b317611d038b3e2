"""The control worker's thread that queues each sweep (workers/sweeps.py) on the control
queue at its own interval, as the job `sweep_<name>`: once when the worker starts, then
every interval. A sweep still queued or running is not queued again
(infra.queue.enqueue_once), so a busy or stopped control worker finds one job per sweep waiting,
not a pile. Light on purpose: the hypervisor workers import this module's job name."""
from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from infra.queue import enqueue_once
from infra.sweep_records import SweepRecords

log = logging.getLogger("hostflow.sweeps")
SWEEP_JOB = "workers.housekeeping.run_sweep"
TICK_S = 1.0
DEFAULT_TIMEOUT_S = 600


def job_id(name: str) -> str:
    return f"sweep_{name}"


class Schedule:
    """When each sweep is next due; all are due at the start."""

    def __init__(self, intervals: dict[str, int], now: float):
        self.intervals = dict(intervals)
        self.next = dict.fromkeys(intervals, now)

    def due(self, now: float) -> list[str]:
        """The sweeps due at `now`, each then due again one interval later."""
        names = [name for name, at in self.next.items() if at <= now]
        for name in names:
            self.next[name] = now + self.intervals[name]
        return names


def queue_sweep(redis, records: SweepRecords, name: str, every: int, timeout_s: int) -> bool:
    """Queues the sweep unless it is still queued or running; True if queued."""
    queued = enqueue_once(redis, "control", SWEEP_JOB, job_id(name), args=(name,), job_timeout=timeout_s,
                          result_ttl=max(every, 60), failure_ttl=86400)
    if queued:
        records.queued(name, datetime.now(UTC))
    else:
        log.debug("sweep %s still queued or running; not queued again", name)
    return queued


def run_forever(redis, intervals: dict[str, int], timeouts: dict[str, int], stop: threading.Event) -> None:
    """Publishes the schedule (the health report reads it), then queues what is due every
    TICK_S until `stop`. Redis down is logged: the schedule is published at the next tick,
    a sweep queued at its next interval."""
    records = SweepRecords(redis)
    schedule, published = Schedule(intervals, time.monotonic()), False
    log.info("sweeps: %s", ", ".join(f"{n} every {s} s" for n, s in intervals.items()) or "none")
    while not stop.is_set():
        published = published or _publish(records, intervals)
        for name in schedule.due(time.monotonic()):
            try:
                queue_sweep(redis, records, name, intervals[name], timeouts.get(name, DEFAULT_TIMEOUT_S))
            except Exception:  # noqa: BLE001 - redis may be restarting; the thread must live on
                log.exception("sweep %s could not be queued", name)
        stop.wait(TICK_S)


def _publish(records: SweepRecords, intervals: dict[str, int]) -> bool:
    try:
        records.publish(intervals, datetime.now(UTC))
    except Exception as exc:  # noqa: BLE001 - redis may be restarting; published at the next tick
        log.warning("the sweep schedule could not be published: %s", exc)
        return False
    return True
