"""IP allocations. Uniqueness per network is the database's constraint; on a
collision with a concurrent allocator the next free address is tried."""
from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from infra.db.engine import Database
from infra.db.models import IpAllocation
from infra.errors import NoAddress


@dataclass(frozen=True)
class Lease:
    network: str
    address: str
    prefix_len: int
    host_id: str
    mac: str

    @property
    def cidr(self) -> str:
        return f"{self.address}/{self.prefix_len}"

    def to_dict(self) -> dict:
        return {**self.__dict__, "cidr": self.cidr}


def _lease(row: IpAllocation) -> Lease:
    return Lease(row.network, row.address, row.prefix_len, row.host_id, row.mac)


def mac_for(host_id: str, network: str) -> str:
    """A stable locally-administered MAC derived from host and network."""
    digest = hashlib.sha256(f"{host_id}/{network}".encode()).digest()
    return "52:54:00:" + ":".join(f"{b:02x}" for b in digest[:3])


class IpamStore:
    def __init__(self, db: Database):
        self.db = db

    def find(self, network: str, host_id: str) -> Lease | None:
        with self.db.session() as s:
            row = s.scalar(select(IpAllocation).where(IpAllocation.network == network, IpAllocation.host_id == host_id))
            return _lease(row) if row else None

    def allocate(self, network: str, subnet: str, reserved: set[str], host_id: str) -> Lease:
        net = ipaddress.ip_network(subnet)
        for _ in range(20):
            used = self._used(network) | reserved
            free = next((str(a) for a in net.hosts() if str(a) not in used), None)
            if free is None:
                raise NoAddress(f"network {network} ({subnet}) has no free address")
            try:
                with self.db.session() as s:
                    row = IpAllocation(
                        network=network, address=free, prefix_len=net.prefixlen, host_id=host_id,
                        mac=mac_for(host_id, network),
                    )
                    s.add(row)
                return _lease(row)
            except IntegrityError:
                existing = self.find(network, host_id)
                if existing:
                    return existing
        raise NoAddress(f"network {network}: could not allocate after repeated collisions")

    def release(self, network: str, host_id: str) -> Lease | None:
        with self.db.session() as s:
            row = s.scalar(select(IpAllocation).where(IpAllocation.network == network, IpAllocation.host_id == host_id))
            if row is None:
                return None
            lease = _lease(row)
            s.delete(row)
            return lease

    def held_by(self, host_id: str) -> list[Lease]:
        with self.db.session() as s:
            rows = s.scalars(select(IpAllocation).where(IpAllocation.host_id == host_id).order_by(IpAllocation.id))
            return [_lease(r) for r in rows]

    def leases(self) -> list[Lease]:
        with self.db.session() as s:
            return [_lease(r) for r in s.scalars(select(IpAllocation).order_by(IpAllocation.id))]

    def release_host(self, host_id: str) -> list[Lease]:
        """Every address the host holds, on any network."""
        with self.db.session() as s:
            rows = list(s.scalars(select(IpAllocation).where(IpAllocation.host_id == host_id)))
            leases = [_lease(r) for r in rows]
            for row in rows:
                s.delete(row)
            return leases

    def _used(self, network: str) -> set[str]:
        with self.db.session() as s:
            return set(s.scalars(select(IpAllocation.address).where(IpAllocation.network == network)))
