"""The DNS record sets hostflow owns. A row is written (`pending`) before the server is
changed and turns `active` once the server is verified, so an interrupted change is
still known as hostflow's and its retry or the host's reclaim finishes it."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from infra.db.engine import Database
from infra.db.models import DnsRecord, Host, iso


def _now() -> datetime:
    return datetime.now(UTC)


class DnsRecordStore:
    def __init__(self, db: Database):
        self.db = db

    def find(self, fqdn: str, rtype: str) -> dict | None:
        """The live record, with its host's `project` (whose names force may take over)."""
        with self.db.session() as s:
            found = s.execute(select(DnsRecord, Host.project).outerjoin(Host, Host.id == DnsRecord.host_id)
                              .where(DnsRecord.fqdn == fqdn, DnsRecord.type == rtype,
                                     DnsRecord.deleted_at.is_(None))).first()
            return {**view(found[0]), "project": found[1]} if found else None

    def at_name(self, fqdn: str, host_id: str | None = None) -> list[dict]:
        with self.db.session() as s:
            q = select(DnsRecord).where(DnsRecord.fqdn == fqdn, DnsRecord.deleted_at.is_(None))
            if host_id:
                q = q.where(DnsRecord.host_id == host_id)
            return [view(r) for r in s.scalars(q.order_by(DnsRecord.type))]

    def of_host(self, host_id: str) -> list[dict]:
        with self.db.session() as s:
            q = select(DnsRecord).where(DnsRecord.host_id == host_id, DnsRecord.deleted_at.is_(None))
            return [view(r) for r in s.scalars(q.order_by(DnsRecord.created_at))]

    def list(self, host_id: str | None = None, include_deleted: bool = False) -> list[dict]:
        with self.db.session() as s:
            q = select(DnsRecord).order_by(DnsRecord.created_at)
            if host_id:
                q = q.where(DnsRecord.host_id == host_id)
            if not include_deleted:
                q = q.where(DnsRecord.deleted_at.is_(None))
            return [view(r) for r in s.scalars(q)]

    def claim(self, fqdn: str, rtype: str, value: str, ttl: int, host_id: str, kind: str) -> dict:
        """This host owns (fqdn, type) with this value from now on, `pending`; another live
        owner (taken over with force) is released in the same transaction."""
        with self.db.session() as s:
            row = s.scalar(select(DnsRecord).where(DnsRecord.fqdn == fqdn, DnsRecord.type == rtype,
                                                   DnsRecord.deleted_at.is_(None)))
            if row is not None and (row.host_id, row.kind) != (host_id, kind):
                row.state, row.deleted_at = "deleted", _now()
                s.flush()
                row = None
            if row is None:
                row = DnsRecord(fqdn=fqdn, type=rtype, host_id=host_id, kind=kind, value=value, ttl=ttl)
                s.add(row)
            row.value, row.ttl, row.state, row.updated_at = value, ttl, "pending", _now()
            s.flush()
            return view(row)

    def set_state(self, record_id: str, state: str) -> None:
        with self.db.session() as s:
            s.execute(update(DnsRecord).where(DnsRecord.id == record_id, DnsRecord.deleted_at.is_(None))
                      .values(state=state, updated_at=_now()))

    def release(self, record_id: str) -> None:
        with self.db.session() as s:
            s.execute(update(DnsRecord).where(DnsRecord.id == record_id, DnsRecord.deleted_at.is_(None))
                      .values(state="deleted", deleted_at=_now()))


def view(r: DnsRecord) -> dict:
    return {"id": r.id, "fqdn": r.fqdn, "type": r.type, "value": r.value, "ttl": r.ttl, "host_id": r.host_id,
            "kind": r.kind, "state": r.state, "created": iso(r.created_at), "updated": iso(r.updated_at),
            "deleted": iso(r.deleted_at)}
