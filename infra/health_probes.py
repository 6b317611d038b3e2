"""Probes of what the control plane reaches, for the health report: each is quick (a
trivial query, a ping, one HTTP GET with a short timeout) and raises Unreachable with
what went wrong. Reads only: nothing here changes any state."""
from __future__ import annotations

import httpx
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from infra.db.engine import Database
from infra.errors import HostflowError
from infra.queue import ALIVE_PREFIX
from infra.sweep_records import SweepRecords

TIMEOUT_S = 2.0


class Unreachable(HostflowError):
    code, status = "dependency_unreachable", 503


class Probes:
    """`redis_url` gets a client of its own, with short timeouts: a hung Redis must not
    hang the report."""

    def __init__(self, db: Database, redis_url: str, prefect_api_url: str, timeout_s: float = TIMEOUT_S):
        self.db, self.prefect_api_url, self.timeout_s = db, prefect_api_url.rstrip("/"), timeout_s
        self.redis = Redis.from_url(redis_url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)

    def database(self) -> None:
        try:
            with self.db.reading() as session:
                session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise Unreachable(_first_line(exc)) from exc

    def redis_ping(self) -> None:
        try:
            self.redis.ping()
        except RedisError as exc:
            raise Unreachable(str(exc)) from exc

    def prefect(self) -> None:
        """The server's /health, which answers without credentials."""
        url = f"{self.prefect_api_url}/health"
        try:
            resp = httpx.get(url, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise Unreachable(f"{url}: {exc or type(exc).__name__}") from exc
        if resp.status_code != 200:
            raise Unreachable(f"{url} answered {resp.status_code}")

    def workers(self) -> dict[str, int]:
        """Live workers per queue, from their liveness keys (infra.queue.mark_alive)."""
        counts: dict[str, int] = {}
        try:
            for key in self.redis.scan_iter(ALIVE_PREFIX + "*", count=100):
                value = self.redis.get(key)
                for name in (value.decode().split(",") if value else []):
                    counts[name] = counts.get(name, 0) + 1
        except RedisError as exc:
            raise Unreachable(str(exc)) from exc
        return counts

    def sweeps(self) -> dict[str, dict]:
        """Each scheduled sweep's record (infra.sweep_records), its interval included."""
        records = SweepRecords(self.redis)
        return {name: {**records.read(name), "interval_s": every} for name, every in records.schedule().items()}


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
