"""Per kind of operation: its flow, the context built from the system of record, and
what its success or failure means for the records it concerns. One module per family;
this registry joins them."""
from __future__ import annotations

from flows.kinds.backups import BACKUP_KINDS
from flows.kinds.base import Kind, Stores
from flows.kinds.dns import DNS_KINDS
from flows.kinds.drift import DRIFT_KINDS
from flows.kinds.host_images import HOST_IMAGE_KINDS
from flows.kinds.hosts import HOST_KINDS
from flows.kinds.power import POWER_KINDS
from flows.kinds.resize import RESIZE_KINDS
from flows.kinds.shares import SHARE_KINDS
from flows.kinds.volumes import VOLUME_KINDS

__all__ = ["KINDS", "Kind", "Stores"]

KINDS: dict[str, Kind] = {**HOST_KINDS, **VOLUME_KINDS, **BACKUP_KINDS, **RESIZE_KINDS, **HOST_IMAGE_KINDS,
                          **SHARE_KINDS, **DNS_KINDS, **POWER_KINDS, **DRIFT_KINDS}
