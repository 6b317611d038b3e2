from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from infra.db.engine import Database
from infra.db.models import Hypervisor, iso


class HypervisorStore:
    def __init__(self, db: Database):
        self.db = db

    def register(self, name: str, queue: str, node_info: dict, ratios: dict) -> None:
        """Creates or refreshes a node's record; claims are kept across restarts."""
        now = datetime.now(UTC)
        with self.db.session() as s:
            row = s.get(Hypervisor, name) or Hypervisor(
                name=name, vcpus_claimed=0, ram_mb_claimed=0, disk_gb_claimed=0, enabled=True, registered_at=now
            )
            row.queue = queue
            row.vcpus_total = node_info["vcpus"]
            row.ram_mb_total = node_info["ram_mb"]
            row.disk_gb_total = node_info["disk_gb"]
            row.cpu_ratio = ratios["cpu"]
            row.ram_ratio = ratios["ram"]
            row.disk_ratio = ratios["disk"]
            row.heartbeat_at = now
            s.add(row)

    def beat(self, name: str, at: datetime) -> None:
        with self.db.session() as s:
            row = s.get(Hypervisor, name)
            if row is not None:
                row.heartbeat_at = at

    def all(self) -> list[dict]:
        with self.db.session() as s:
            return [_view(h) for h in s.scalars(select(Hypervisor).order_by(Hypervisor.name))]


def _view(h: Hypervisor) -> dict:
    return {
        "name": h.name,
        "queue": h.queue,
        "enabled": h.enabled,
        "capacity": {
            "vcpus": h.vcpus_total,
            "ram_mb": h.ram_mb_total,
            "disk_gb": h.disk_gb_total,
            "ratios": {"cpu": h.cpu_ratio, "ram": h.ram_ratio, "disk": h.disk_ratio},
        },
        "claimed": {"vcpus": h.vcpus_claimed, "ram_mb": h.ram_mb_claimed, "disk_gb": h.disk_gb_claimed},
        "heartbeat": iso(h.heartbeat_at),
        "unowned_domains": h.unowned_domains or [],
    }
