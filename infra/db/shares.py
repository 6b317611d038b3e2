"""Share records and which hosts they are attached to."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from infra.db.engine import Database
from infra.db.models import HostShare, Share, iso
from infra.errors import Conflict, NotFound

FIELDS = ("id", "name", "project", "env", "source", "mount_point", "read_only", "mode")


def view(row: Share) -> dict:
    return {**{f: getattr(row, f) for f in FIELDS}, "created_at": iso(row.created_at)}


class ShareStore:
    def __init__(self, db: Database):
        self.db = db

    def list(self, env: str | None = None, projects: list[str] | None = None) -> list[dict]:
        """The shares (of one environment; of these projects: None, every project)."""
        query = select(Share).order_by(Share.name)
        if env is not None:
            query = query.where(Share.env == env)
        if projects is not None:
            query = query.where(Share.project.in_(projects))
        with self.db.session() as s:
            return [view(r) for r in s.scalars(query)]

    def get(self, name: str) -> dict:
        with self.db.session() as s:
            row = s.scalar(select(Share).where(Share.name == name))
            if row is None:
                raise NotFound(f"share {name!r} not found", code="unknown_share")
            return view(row)

    def create(self, values: dict) -> dict:
        """values: validated fields (operations.requests.CreateShare, source checked against the roots)."""
        try:
            with self.db.session() as s:
                if s.scalar(select(Share.id).where(Share.name == values["name"])):
                    raise Conflict(f"share {values['name']!r} exists", code="share_exists")
                row = Share(**values)
                s.add(row)
                s.flush()
                return view(row)
        except IntegrityError as exc:
            raise Conflict(f"share {values['name']!r} exists", code="share_exists") from exc

    def for_host(self, host_id: str) -> list[dict]:
        query = select(Share).join(HostShare, HostShare.share_id == Share.id).where(HostShare.host_id == host_id)
        with self.db.session() as s:
            return [view(r) for r in s.scalars(query.order_by(Share.name))]

    def set_host(self, host_id: str, share_ids: list[str]) -> None:
        """The host's attached shares become exactly these."""
        with self.db.session() as s:
            s.execute(delete(HostShare).where(HostShare.host_id == host_id))
            s.add_all(HostShare(host_id=host_id, share_id=sid) for sid in dict.fromkeys(share_ids))

    def detach_host(self, host_id: str) -> int:
        with self.db.session() as s:
            return s.execute(delete(HostShare).where(HostShare.host_id == host_id)).rowcount

    def delete(self, name: str) -> dict:
        """Only a share no host has attached (409 share_in_use)."""
        with self.db.session() as s:
            row = s.scalar(select(Share).where(Share.name == name))
            if row is None:
                raise NotFound(f"share {name!r} not found", code="unknown_share")
            hosts = list(s.scalars(select(HostShare.host_id).where(HostShare.share_id == row.id)))
            if hosts:
                raise Conflict(f"share {name!r} is attached to {len(hosts)} host(s)", code="share_in_use",
                               details={"hosts": hosts})
            record = view(row)
            s.delete(row)
            return record
