"""What every kind of operation declares, and the stores its records live in."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from infra.db.backups import BackupStore
from infra.db.hosts import HostStore
from infra.db.images import ImageStore
from infra.db.operations import OperationStore
from infra.db.volumes import VolumeStore
from infra.settings import Settings


@dataclass
class Stores:
    ops: OperationStore
    hosts: HostStore
    images: ImageStore
    volumes: VolumeStore
    backups: BackupStore


@dataclass(frozen=True)
class Kind:
    flow: Callable
    context: Callable[[dict, Stores, Settings], dict]
    succeeded: Callable[[dict, Stores, dict], dict]
    failed: Callable[[dict, Stores, dict, bool], None]
    cancelled: Callable[[dict, Stores, dict, bool], None] | None = None  # None: as `failed`


def now() -> datetime:
    return datetime.now(UTC)
