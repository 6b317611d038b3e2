"""The tables of storage: block volumes, their backups, and the shared directories hosts mount."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.models.base import Base, new_id, utcnow


class Volume(Base):
    """A block volume in the storage pool of the hypervisor that holds it."""

    __tablename__ = "volumes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(63))
    env: Mapped[str] = mapped_column(String(63))
    project: Mapped[str] = mapped_column(String(63), default="default")
    size_gb: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="creating")
    hypervisor: Mapped[str] = mapped_column(String(63))
    host_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    target: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_operation_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Backup(Base):
    """A chunked copy of a volume in object storage; its manifest is the commit point."""

    __tablename__ = "backups"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(63))
    volume_id: Mapped[str] = mapped_column(String(36), index=True)
    parent_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(16), default="creating")
    size_gb: Mapped[int] = mapped_column(Integer)
    chunk_size: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[str] = mapped_column(String(63))
    manifest: Mapped[str] = mapped_column(String(255))
    stats: Mapped[dict] = mapped_column(JSON, default=dict)
    created_operation_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Share(Base):
    """A project's shared directory in one environment: `source` on the hypervisors (under a
    share root), mounted at `mount_point` in the project's hosts of that environment, passed
    through (9p/virtiofs) or exported over NFS."""

    __tablename__ = "shares"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    project: Mapped[str] = mapped_column(String(63), index=True, default="default")
    env: Mapped[str] = mapped_column(String(63), index=True)
    source: Mapped[str] = mapped_column(String(1024))
    mount_point: Mapped[str] = mapped_column(String(255))
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    mode: Mapped[str] = mapped_column(String(16), default="passthrough")  # passthrough, nfs
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HostShare(Base):
    """A share attached to a host (at allocate, or later through the API)."""

    __tablename__ = "host_shares"
    host_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    share_id: Mapped[str] = mapped_column(ForeignKey("shares.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
