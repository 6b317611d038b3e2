"""Fakes injected through the service layer's typed fields (operations.services.Services)."""
from __future__ import annotations

from infra.queue import QueueError


class RecordingQueue:
    """Stands in for the flow runners' queue: `queued` holds the operations handed to it,
    in order, and `attempts` their (id, attempt); with `down` it refuses as an unreachable
    Redis does."""

    def __init__(self, down: bool = False):
        self.queued: list[str] = []
        self.attempts: list[tuple[str, int]] = []
        self.down = down

    def enqueue(self, operation_id: str, attempt: int = 0) -> None:
        if self.down:
            raise QueueError("redis: connection refused")
        self.queued.append(operation_id)
        self.attempts.append((operation_id, attempt))


def record_only(svc) -> RecordingQueue:
    """Operations are recorded but reach no flow runner: the test runs them itself (or not)."""
    svc.queue = RecordingQueue()
    return svc.queue
