"""Volumes. Every state change is a compare-and-swap, so two operations can
never both take the same volume."""
from __future__ import annotations

from sqlalchemy import select, update

from infra.db.engine import Database
from infra.db.models import Volume, iso
from infra.errors import Conflict, NotFound


class VolumeStore:
    def __init__(self, db: Database):
        self.db = db

    def get(self, volume_id: str) -> dict:
        with self.db.session() as s:
            row = s.get(Volume, volume_id)
            if row is None:
                raise NotFound(f"volume {volume_id} not found", code="volume_not_found")
            return view(row)

    def list(self, include_deleted: bool = False) -> list[dict]:
        with self.db.session() as s:
            q = select(Volume).order_by(Volume.created_at)
            if not include_deleted:
                q = q.where(Volume.state != "deleted")
            return [view(v) for v in s.scalars(q)]

    def attached_to(self, host_id: str) -> list[dict]:
        with self.db.session() as s:
            return [view(v) for v in s.scalars(select(Volume).where(Volume.host_id == host_id,
                                                                    Volume.state != "deleted"))]

    def swap(self, volume_id: str, from_states: set[str], to_state: str, **fields) -> bool:
        with self.db.session() as s:
            result = s.execute(update(Volume).where(Volume.id == volume_id, Volume.state.in_(from_states))
                               .values(state=to_state, **fields))
            return result.rowcount == 1

    def take(self, volume_id: str, from_states: set[str], to_state: str, **fields) -> dict:
        """swap, or a 409 that names the state the volume is in."""
        if not self.swap(volume_id, from_states, to_state, **fields):
            current = self.get(volume_id)
            raise Conflict(f"volume {volume_id} is {current['state']}", code=f"volume_{current['state']}"
                           .replace("-", "_"), details={"state": current["state"]})
        return self.get(volume_id)

    def take_attached(self, host_id: str) -> int:
        with self.db.session() as s:
            return take_attached(s, host_id)

    def return_attached(self, host_id: str) -> int:
        """A reclaim that failed before deleting them: the host's volumes are its own again."""
        with self.db.session() as s:
            return s.execute(update(Volume).where(Volume.host_id == host_id, Volume.state == "deleting")
                             .values(state="in-use")).rowcount

    def release_host(self, host_id: str) -> int:
        """After a host's domain is gone its volumes are detached: back to available."""
        with self.db.session() as s:
            return s.execute(update(Volume).where(Volume.host_id == host_id, Volume.state != "deleted")
                             .values(state="available", host_id=None, target=None)).rowcount


def take_attached(session, host_id: str) -> int:
    """A host's attached volumes -> deleting, for a reclaim that deletes them (in the
    caller's transaction, so nothing else can take them meanwhile)."""
    return session.execute(update(Volume).where(Volume.host_id == host_id, Volume.state == "in-use")
                           .values(state="deleting")).rowcount


def view(v: Volume) -> dict:
    return {
        "id": v.id, "name": v.name, "env": v.env, "project": v.project, "size_gb": v.size_gb, "state": v.state,
        "hypervisor": v.hypervisor, "host_id": v.host_id, "target": v.target,
        "created_operation": v.created_operation_id, "created": iso(v.created_at), "deleted": iso(v.deleted_at),
    }
