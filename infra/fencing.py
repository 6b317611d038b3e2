"""Fencing node jobs by the attempt of their operation.

A step queued for a node that then went away stays queued, and would run when the node
comes back: after its operation failed, was retried elsewhere, or its host was
reclaimed. So every step job carries its operation's id and attempt (`Fence`), the
flow runner keeps the attempt it runs in Redis (`hostflow:fence:<operation>`; nodes
hold no database credentials and may only read these keys), and a node runs a fenced
job only while that key still names its attempt. The key says `ended` once the
operation's run is over, so a job left behind by any attempt does nothing, and says so."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass

from redis import Redis
from redis.exceptions import RedisError

from infra.errors import HostflowError

PREFIX = "hostflow:fence:"
ENDED = "ended"
TTL_S = 7 * 24 * 3600  # as long as a step's result is kept

log = logging.getLogger("hostflow.fencing")


class StaleJob(HostflowError):
    code = "stale_job"


@dataclass(frozen=True)
class Fence:
    operation: str
    attempt: int

    def to_arg(self) -> dict:
        return asdict(self)

    @classmethod
    def from_arg(cls, arg) -> Fence | None:
        if not isinstance(arg, dict):
            return None
        return cls(str(arg.get("operation")), int(arg.get("attempt", -1)))


_current: ContextVar[Fence | None] = ContextVar("hostflow_fence", default=None)


def current() -> Fence | None:
    """The fence of the operation attempt running in this context, if any."""
    return _current.get()


@contextmanager
def fenced(redis: Redis, operation: str, attempt: int) -> Iterator[None]:
    """Steps dispatched inside carry this attempt's fence; at the end the operation's
    fence says `ended`, whatever the outcome."""
    token = _current.set(Fence(operation, attempt))
    try:
        yield
    finally:
        _current.reset(token)
        end(redis, operation)


def hold(redis: Redis, fence: Fence) -> None:
    """Names this attempt as the one whose jobs may run (before each step is queued)."""
    redis.set(PREFIX + fence.operation, str(fence.attempt), ex=TTL_S)


def end(redis: Redis, operation: str) -> None:
    """No job of this operation may run any more (until a retry holds the fence again).
    Redis unreachable: logged; the fence then still names the last attempt."""
    try:
        redis.set(PREFIX + operation, ENDED, ex=TTL_S)
    except RedisError as exc:
        log.warning("the fence of operation %s could not be ended: %s", operation, exc)


def refusal(redis: Redis, fence: Fence) -> StaleJob | None:
    """Why a job carrying this fence may not run now, or None."""
    held = redis.get(PREFIX + fence.operation)
    held = held.decode() if held is not None else None
    if held == str(fence.attempt):
        return None
    now = {None: "has no running attempt", ENDED: "has ended"}.get(held, f"runs attempt {held}")
    return StaleJob(f"a job of attempt {fence.attempt} of operation {fence.operation}, which {now}: not run")
