"""The system of record. Neither Redis nor Prefect is: this schema is.

The tables live by area in the modules of this package; importing it registers every
one of them on `Base.metadata` (what Alembic compares against), and each is named here."""
from __future__ import annotations

from infra.db.models.base import Base, iso, new_id, utcnow
from infra.db.models.compute import CapacityClaim, ConsoleSession, Host, Hypervisor, PowerEvent
from infra.db.models.dashboard import UiLoginFailure, UiSession
from infra.db.models.images import Image
from infra.db.models.networking import DnsRecord, IpAllocation, Network
from infra.db.models.operations import Notification, Operation, OperationStep, OutboxEntry
from infra.db.models.storage import Backup, HostShare, Share, Volume
from infra.db.models.tokens import ApiToken

__all__ = [
    "ApiToken", "Backup", "Base", "CapacityClaim", "ConsoleSession", "DnsRecord", "Host", "HostShare", "Hypervisor",
    "Image", "IpAllocation", "Network", "Notification", "Operation", "OperationStep", "OutboxEntry", "PowerEvent",
    "Share", "UiLoginFailure", "UiSession", "Volume", "iso", "new_id", "utcnow",
]
