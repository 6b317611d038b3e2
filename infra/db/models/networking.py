"""The tables of networking: networks, the addresses allocated on them, and the DNS records."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.models.base import Base, new_id, utcnow


class Network(Base):
    """An L2 segment with its subnet; `bridge` is its bridge on every hypervisor."""

    __tablename__ = "networks"
    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    traffic_class: Mapped[str] = mapped_column(String(32))
    env: Mapped[str | None] = mapped_column(String(63), nullable=True)  # None: every environment
    bridge: Mapped[str] = mapped_column(String(15), unique=True)
    segmentation: Mapped[str] = mapped_column(String(8), default="none")  # none, vxlan, vlan
    segment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # VNI or VLAN id
    underlay: Mapped[str | None] = mapped_column(String(15), nullable=True)
    peers: Mapped[list] = mapped_column(JSON, default=list)  # VXLAN: the nodes' underlay addresses
    subnet: Mapped[str] = mapped_column(String(49))
    gateway: Mapped[str | None] = mapped_column(String(45), nullable=True)
    reserved: Mapped[list] = mapped_column(JSON, default=list)  # "10.0.0.10-10.0.0.20" or one address
    mtu: Mapped[int] = mapped_column(Integer, default=1500)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IpAllocation(Base):
    __tablename__ = "ip_allocations"
    __table_args__ = (UniqueConstraint("network", "address"), UniqueConstraint("network", "host_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    network: Mapped[str] = mapped_column(String(63))
    address: Mapped[str] = mapped_column(String(45))
    prefix_len: Mapped[int] = mapped_column(Integer)
    host_id: Mapped[str] = mapped_column(String(36), index=True)
    mac: Mapped[str] = mapped_column(String(17))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DnsRecord(Base):
    """A record set hostflow created and owns (Designate's managed records): only these
    are ever changed or removed. One live owner per name and type."""

    __tablename__ = "dns_records"
    __table_args__ = (Index("uq_dns_records_live", "fqdn", "type", unique=True,
                            sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL")),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    fqdn: Mapped[str] = mapped_column(String(253), index=True)
    type: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(253))
    ttl: Mapped[int] = mapped_column(Integer)
    host_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # host (its own A and PTR) or business
    state: Mapped[str] = mapped_column(String(8), default="pending")  # pending, active, error, deleted
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
