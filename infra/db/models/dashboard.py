"""The tables of the dashboard's logins: the sessions that are live, and recent failed
logins per client address (both kept server-side, so every API worker process sees them)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from infra.db.models.base import Base, new_id, utcnow


class UiSession(Base):
    """A dashboard login until its logout or its absolute expiry; its cookie is refused once
    the row is gone."""
    __tablename__ = "ui_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the id the cookie holds
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)  # pruned after this


class UiLoginFailure(Base):
    """One login attempt from an address, counted as failed until its token proves good."""
    __tablename__ = "ui_login_failures"
    __table_args__ = (Index("ix_ui_login_failures_address_at", "address", "at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
