"""The tables of hosts and of the hypervisors they run on, with the capacity each host claims."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.models.base import Base, new_id, utcnow


class Hypervisor(Base):
    __tablename__ = "hypervisors"
    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    queue: Mapped[str] = mapped_column(String(80))
    vcpus_total: Mapped[int] = mapped_column(Integer)
    ram_mb_total: Mapped[int] = mapped_column(Integer)
    disk_gb_total: Mapped[int] = mapped_column(Integer)
    cpu_ratio: Mapped[float] = mapped_column(Float, default=1.0)
    ram_ratio: Mapped[float] = mapped_column(Float, default=1.0)
    disk_ratio: Mapped[float] = mapped_column(Float, default=1.0)
    vcpus_claimed: Mapped[int] = mapped_column(Integer, default=0)
    ram_mb_claimed: Mapped[int] = mapped_column(Integer, default=0)
    disk_gb_claimed: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # the node's marked domains no live host owns, as its last complete power sync found them
    unowned_domains: Mapped[list | None] = mapped_column(JSON, nullable=True)


class CapacityClaim(Base):
    __tablename__ = "capacity_claims"
    host_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hypervisor: Mapped[str] = mapped_column(ForeignKey("hypervisors.name"))
    vcpus: Mapped[int] = mapped_column(Integer)
    ram_mb: Mapped[int] = mapped_column(Integer)
    disk_gb: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Host(Base):
    __tablename__ = "hosts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(63), index=True)
    env: Mapped[str] = mapped_column(String(63))
    project: Mapped[str] = mapped_column(String(63), default="default")
    fqdn: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="building")
    hypervisor: Mapped[str | None] = mapped_column(String(63), nullable=True)
    image_id: Mapped[str] = mapped_column(String(36))
    vcpus: Mapped[int] = mapped_column(Integer)
    ram_mb: Mapped[int] = mapped_column(Integer)
    disk_gb: Mapped[int] = mapped_column(Integer)
    ssh_keys: Mapped[list] = mapped_column(JSON, default=list)
    user_data: Mapped[str | None] = mapped_column(Text, nullable=True)
    addresses: Mapped[list] = mapped_column(JSON, default=list)
    created_operation_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # observed from libvirt (running, shutoff, paused, suspended, crashed, missing); None: not yet
    power_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    power_state_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # who brought it there: the node saw it change (event, sync), or an operation's kind did it
    power_state_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    restart_policy: Mapped[str | None] = mapped_column(String(8), nullable=True)  # "always"; None: never
    restart_count: Mapped[int] = mapped_column(Integer, default=0)  # restarts since the last quiet spell
    restarted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ConsoleSession(Base):
    """An interactive console opened on a host: who, from where, when; never what passed."""

    __tablename__ = "console_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    host_id: Mapped[str] = mapped_column(String(36), index=True)
    requester: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PowerEvent(Base):
    """A change of a host's power state, as hostflow observed or caused it."""

    __tablename__ = "power_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    host_id: Mapped[str] = mapped_column(String(36), index=True)
    before: Mapped[str | None] = mapped_column(String(16), nullable=True)
    after: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))  # event, sync, or the operation's kind
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
