"""Capacity claims. A claim is one conditional UPDATE, so concurrent claims on
the same node can never overcommit it, on SQLite and PostgreSQL alike."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update

from infra.db.engine import Database
from infra.db.models import CapacityClaim, Hypervisor
from infra.errors import NoCapacity


@dataclass(frozen=True)
class Claim:
    host_id: str
    hypervisor: str
    vcpus: int
    ram_mb: int
    disk_gb: int

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def _claim_from_row(row: CapacityClaim) -> Claim:
    return Claim(row.host_id, row.hypervisor, row.vcpus, row.ram_mb, row.disk_gb)


class CapacityStore:
    def __init__(self, db: Database, heartbeat_ttl: int = 30):
        self.db = db
        self.heartbeat_ttl = heartbeat_ttl

    def find(self, host_id: str) -> Claim | None:
        with self.db.session() as s:
            row = s.get(CapacityClaim, host_id)
            return _claim_from_row(row) if row else None

    def candidates(self, vcpus: int, ram_mb: int, disk_gb: int, only: str | None = None) -> list[str]:
        """Live, enabled nodes with room, most free RAM first (`only`: that node, if it qualifies)."""
        fresh = datetime.now(UTC) - timedelta(seconds=self.heartbeat_ttl)
        with self.db.session() as s:
            q = select(Hypervisor).where(Hypervisor.enabled.is_(True))
            rows = s.scalars(q.where(Hypervisor.name == only) if only else q).all()
            live = [h for h in rows if h.heartbeat_at and _aware(h.heartbeat_at) >= fresh]
        fits = [h for h in live if _fits(h, vcpus, ram_mb, disk_gb)]
        fits.sort(key=lambda h: h.ram_mb_total * h.ram_ratio - h.ram_mb_claimed, reverse=True)
        return [h.name for h in fits]

    def claim(self, host_id: str, vcpus: int, ram_mb: int, disk_gb: int, only: str | None = None) -> Claim:
        for name in self.candidates(vcpus, ram_mb, disk_gb, only):
            claim = self.claim_on(name, host_id, vcpus, ram_mb, disk_gb)
            if claim:
                return claim
        where = f"hypervisor {only} (live, enabled)" if only else "no hypervisor"
        raise NoCapacity(f"{where} can hold {vcpus} vCPU, {ram_mb} MiB RAM, {disk_gb} GiB disk")

    def claim_on(self, node: str, host_id: str, vcpus: int, ram_mb: int, disk_gb: int) -> Claim | None:
        h = Hypervisor
        with self.db.session() as s:
            result = s.execute(
                update(h)
                .where(h.name == node)
                .where(h.vcpus_claimed + vcpus <= h.vcpus_total * h.cpu_ratio)
                .where(h.ram_mb_claimed + ram_mb <= h.ram_mb_total * h.ram_ratio)
                .where(h.disk_gb_claimed + disk_gb <= h.disk_gb_total * h.disk_ratio)
                .values(
                    vcpus_claimed=h.vcpus_claimed + vcpus,
                    ram_mb_claimed=h.ram_mb_claimed + ram_mb,
                    disk_gb_claimed=h.disk_gb_claimed + disk_gb,
                )
            )
            if result.rowcount != 1:
                return None
            row = CapacityClaim(host_id=host_id, hypervisor=node, vcpus=vcpus, ram_mb=ram_mb, disk_gb=disk_gb)
            s.add(row)
            return _claim_from_row(row)

    def resize(self, host_id: str, vcpus: int, ram_mb: int, disk_gb: int) -> Claim:
        """Changes a host's claim in one transaction: the node's counters move by the
        difference only if the new size fits (NoCapacity otherwise, nothing changed)."""
        h = Hypervisor
        with self.db.session() as s:
            row = s.get(CapacityClaim, host_id)
            if row is None:
                raise NoCapacity(f"host {host_id} holds no claim to resize", code="no_claim")
            dv, dr, dd = vcpus - row.vcpus, ram_mb - row.ram_mb, disk_gb - row.disk_gb
            result = s.execute(
                update(h)
                .where(h.name == row.hypervisor)
                .where(h.vcpus_claimed + dv <= h.vcpus_total * h.cpu_ratio)
                .where(h.ram_mb_claimed + dr <= h.ram_mb_total * h.ram_ratio)
                .where(h.disk_gb_claimed + dd <= h.disk_gb_total * h.disk_ratio)
                .values(vcpus_claimed=h.vcpus_claimed + dv, ram_mb_claimed=h.ram_mb_claimed + dr,
                        disk_gb_claimed=h.disk_gb_claimed + dd)
            )
            if result.rowcount != 1:
                raise NoCapacity(f"hypervisor {row.hypervisor} cannot hold {vcpus} vCPU, {ram_mb} MiB RAM, "
                                 f"{disk_gb} GiB disk for host {host_id}")
            row.vcpus, row.ram_mb, row.disk_gb = vcpus, ram_mb, disk_gb
            return _claim_from_row(row)

    def claims(self) -> list[Claim]:
        with self.db.session() as s:
            return [_claim_from_row(r) for r in s.scalars(select(CapacityClaim).order_by(CapacityClaim.host_id))]

    def totals(self) -> list[dict]:
        """Per node, its claimed counters and the sums of its claims, read together."""
        zero = {"vcpus": 0, "ram_mb": 0, "disk_gb": 0}
        with self.db.session() as s:
            sums = {r[0]: {"vcpus": int(r[1]), "ram_mb": int(r[2]), "disk_gb": int(r[3])} for r in s.execute(
                select(CapacityClaim.hypervisor, func.sum(CapacityClaim.vcpus), func.sum(CapacityClaim.ram_mb),
                       func.sum(CapacityClaim.disk_gb)).group_by(CapacityClaim.hypervisor))}
            nodes = s.scalars(select(Hypervisor).order_by(Hypervisor.name)).all()
            return [{"node": h.name, "summed": sums.get(h.name, zero),
                     "counted": {"vcpus": h.vcpus_claimed, "ram_mb": h.ram_mb_claimed, "disk_gb": h.disk_gb_claimed}}
                    for h in nodes]

    def release(self, host_id: str) -> Claim | None:
        """Gives back a claim; releasing one that is gone returns None."""
        with self.db.session() as s:
            row = s.get(CapacityClaim, host_id)
            if row is None:
                return None
            claim = _claim_from_row(row)
            gone = s.execute(delete(CapacityClaim).where(CapacityClaim.host_id == host_id)).rowcount
            if gone:
                h = Hypervisor
                s.execute(
                    update(h)
                    .where(h.name == claim.hypervisor)
                    .values(
                        vcpus_claimed=h.vcpus_claimed - claim.vcpus,
                        ram_mb_claimed=h.ram_mb_claimed - claim.ram_mb,
                        disk_gb_claimed=h.disk_gb_claimed - claim.disk_gb,
                    )
                )
            return claim


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _fits(h: Hypervisor, vcpus: int, ram_mb: int, disk_gb: int) -> bool:
    return (
        h.vcpus_claimed + vcpus <= h.vcpus_total * h.cpu_ratio
        and h.ram_mb_claimed + ram_mb <= h.ram_mb_total * h.ram_ratio
        and h.disk_gb_claimed + disk_gb <= h.disk_gb_total * h.disk_ratio
    )
