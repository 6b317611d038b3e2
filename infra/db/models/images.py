"""The table of images: the records of the image service (bytes in object storage).

Like Glance, an image belongs to a `project` and has a `visibility`: `private` (its
project only), `shared` (its project and those in `shared_with`) or `public` (everyone)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.models.base import Base, new_id, utcnow


class Image(Base):
    __tablename__ = "images"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), index=True)
    disk_format: Mapped[str] = mapped_column(String(16))
    container_format: Mapped[str] = mapped_column(String(16), default="bare")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    os_hash_algo: Mapped[str] = mapped_column(String(16), default="sha512")
    os_hash_value: Mapped[str | None] = mapped_column(String(128), nullable=True)
    location: Mapped[str | None] = mapped_column(Text, nullable=True)
    kernel_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    ramdisk_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    properties: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    min_disk_gb: Mapped[int] = mapped_column(Integer, default=0)
    min_ram_mb: Mapped[int] = mapped_column(Integer, default=0)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    virtual_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    project: Mapped[str] = mapped_column(String(63), default="default", index=True)
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    shared_with: Mapped[list] = mapped_column(JSON, default=list)
