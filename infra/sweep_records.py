"""What the control plane's sweeps did, kept in Redis for the health report to read.

`hostflow:sweeps` is the schedule the control worker runs (sweep name -> seconds between
runs), replaced whenever it starts. `hostflow:sweep:<name>` holds one sweep's record:
its interval, when it was scheduled, queued and started, its last success, its last
error, the outcome and duration of its last run and a summary of what that run did.
Times are ISO 8601 in UTC."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from redis import Redis
from redis.exceptions import RedisError

from infra.errors import HostflowError

SCHEDULE = "hostflow:sweeps"
PREFIX = "hostflow:sweep:"
SUMMARY_CHARS = 2000
ERROR_CHARS = 500


class SweepRecordsUnavailable(HostflowError):
    code, status = "redis_unavailable", 503


class SweepRecords:
    def __init__(self, redis: Redis):
        self.redis = redis

    def publish(self, intervals: dict[str, int], at: datetime) -> None:
        """The schedule the control worker runs from now on; records of sweeps it no longer
        runs are removed."""
        with _translated():
            stale = [key for key in self.redis.scan_iter(PREFIX + "*", count=100)
                     if _name(key) not in intervals]
            pipe = self.redis.pipeline()
            pipe.delete(SCHEDULE, *stale)
            if intervals:
                pipe.hset(SCHEDULE, mapping={name: every for name, every in intervals.items()})
            for name, every in intervals.items():
                pipe.hset(PREFIX + name, mapping={"interval_s": every, "scheduled_since": at.isoformat()})
            pipe.execute()

    def queued(self, name: str, at: datetime) -> None:
        self._set(name, last_queued=at.isoformat())

    def started(self, name: str, at: datetime) -> None:
        self._set(name, last_started=at.isoformat())

    def succeeded(self, name: str, at: datetime, duration_s: float, summary: str) -> None:
        self._set(name, last_success=at.isoformat(), last_outcome="succeeded", duration_s=round(duration_s, 3),
                  last_result=summary[:SUMMARY_CHARS])

    def failed(self, name: str, at: datetime, duration_s: float, error: str) -> None:
        self._set(name, last_error=error[:ERROR_CHARS], last_error_at=at.isoformat(), last_outcome="failed",
                  duration_s=round(duration_s, 3))

    def schedule(self) -> dict[str, int]:
        """The published schedule; empty when no control worker has published one."""
        with _translated():
            return {k.decode(): int(v) for k, v in self.redis.hgetall(SCHEDULE).items()}

    def read(self, name: str) -> dict[str, str]:
        with _translated():
            return {k.decode(): v.decode() for k, v in self.redis.hgetall(PREFIX + name).items()}

    def _set(self, name: str, **fields) -> None:
        with _translated():
            self.redis.hset(PREFIX + name, mapping=fields)


def _name(key: bytes | str) -> str:
    key = key.decode() if isinstance(key, bytes) else key
    return key[len(PREFIX):]


@contextmanager
def _translated():
    try:
        yield
    except RedisError as exc:
        raise SweepRecordsUnavailable(f"redis: {exc}") from exc
