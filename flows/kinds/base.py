"""What every kind of operation declares, and the stores its records live in."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from infra.db.backups import BackupStore
from infra.db.dns_records import DnsRecordStore
from infra.db.hosts import HostStore
from infra.db.image_lifecycle import ImageLifecycle
from infra.db.images import ImageStore
from infra.db.networks import NetworkStore
from infra.db.operations import OperationStore
from infra.db.power_states import PowerStateStore
from infra.db.shares import ShareStore
from infra.db.volumes import VolumeStore
from infra.settings import Settings


@dataclass
class Stores:
    ops: OperationStore
    hosts: HostStore
    images: ImageStore
    volumes: VolumeStore
    backups: BackupStore
    shares: ShareStore
    networks: NetworkStore
    image_lifecycle: ImageLifecycle
    dns_records: DnsRecordStore
    power: PowerStateStore


@dataclass(frozen=True)
class Kind:
    flow: Callable
    context: Callable[[dict, Stores, Settings], dict]
    succeeded: Callable[[dict, Stores, dict], dict]
    failed: Callable[[dict, Stores, dict, bool], None]
    cancelled: Callable[[dict, Stores, dict, bool], None] | None = None  # None: as `failed`


def now() -> datetime:
    return datetime.now(UTC)
