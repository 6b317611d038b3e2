"""The system of record. Neither Redis nor Prefect is: this schema is."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC; SQLite hands back naive datetimes, which are UTC here."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


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


class CapacityClaim(Base):
    __tablename__ = "capacity_claims"
    host_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hypervisor: Mapped[str] = mapped_column(ForeignKey("hypervisors.name"))
    vcpus: Mapped[int] = mapped_column(Integer)
    ram_mb: Mapped[int] = mapped_column(Integer)
    disk_gb: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


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
    addresses: Mapped[list] = mapped_column(JSON, default=list)
    created_operation_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Operation(Base):
    __tablename__ = "operations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(24), default="queued")
    source: Mapped[str] = mapped_column(String(40), default="api")
    requester: Mapped[str] = mapped_column(String(255), default="")
    host_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    volume_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    backup_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    flow_run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    reply_to: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # the ticket to report the end to
    cancel_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancel_requested_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    approval_reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why the policy asks for it
    approval_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    approval_decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    approval_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    approval_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    deployment_run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)  # its Prefect deployment run
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


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


class OperationStep(Base):
    """The journal: one row per step and direction (do or undo) of an operation."""

    __tablename__ = "operation_steps"
    __table_args__ = (UniqueConstraint("operation_id", "name", "direction"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operation_id: Mapped[str] = mapped_column(ForeignKey("operations.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    direction: Mapped[str] = mapped_column(String(4), default="do")
    node: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(16), default="running")
    changed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    outcome: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    progress: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


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


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    projects: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # 401 from then on


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


class Share(Base):
    """An environment's shared directory: `source` on the hypervisors (under a share root),
    mounted at `mount_point` in its hosts, passed through (9p/virtiofs) or exported over NFS."""

    __tablename__ = "shares"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(63), unique=True)
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


class Notification(Base):
    """A report-back of an operation's end to where it came from (a ticket). `failed`
    is not final: the delivery is tried again at `next_attempt_at` until it is `sent`."""

    __tablename__ = "notifications"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    operation_id: Mapped[str] = mapped_column(ForeignKey("operations.id"), index=True)
    target: Mapped[str] = mapped_column(String(40))  # jira, servicenow
    method: Mapped[str] = mapped_column(String(8))
    url: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(8), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
