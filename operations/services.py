"""What the service layer works with: the stores, the planner and the queue, typed.

Built by `operations.bootstrap.api_services` from settings; a test builds it the same way
and swaps one field for a fake (`svc.queue`, for one)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # names for the type checker only: the stores pull in SQLAlchemy, the planner Prefect
    from flows.plan import Planner
    from infra.db.backups import BackupStore
    from infra.db.console_sessions import ConsoleSessionStore
    from infra.db.hosts import HostStore
    from infra.db.hypervisors import HypervisorStore
    from infra.db.image_lifecycle import ImageLifecycle
    from infra.db.images import ImageStore
    from infra.db.networks import NetworkStore
    from infra.db.operations import OperationStore
    from infra.db.outbox import OutboxStore
    from infra.db.power_states import PowerStateStore
    from infra.db.shares import ShareStore
    from infra.db.tokens import TokenStore
    from infra.db.ui_sessions import LoginLimiter, UiSessionStore
    from infra.db.volumes import VolumeStore
    from infra.settings import Settings


class OperationQueue(Protocol):
    """Where a recorded operation goes to be run by a flow runner."""

    def enqueue(self, operation_id: str, attempt: int = 0) -> None:
        """Raises infra.queue.QueueError when the queue cannot take it."""


@dataclass
class Services:
    settings: Settings
    redis: object  # the control plane's Redis client: the lost-runner reaper reads RQ's registries
    queue: OperationQueue
    operations: OperationStore
    hosts: HostStore
    images: ImageStore
    hypervisors: HypervisorStore
    tokens: TokenStore
    planner: Planner
    volumes: VolumeStore
    backups: BackupStore
    shares: ShareStore
    image_lifecycle: ImageLifecycle
    outbox: OutboxStore | None = None  # operations to hand to the queue (operations.outbox)
    networks: NetworkStore | None = None
    power: PowerStateStore | None = None  # hosts' power states and their changes
    console_sessions: ConsoleSessionStore | None = None  # the audit of interactive consoles
    ui_sessions: UiSessionStore | None = None  # the dashboard's live sessions
    ui_logins: LoginLimiter | None = None  # the dashboard's failed logins per address
