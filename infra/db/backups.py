"""Volume backups. State changes are compare-and-swap, like volumes."""
from __future__ import annotations

from sqlalchemy import func, select, update

from infra.db.engine import Database
from infra.db.models import Backup, iso
from infra.errors import NotFound


class BackupStore:
    def __init__(self, db: Database):
        self.db = db

    def get(self, backup_id: str) -> dict:
        with self.db.session() as s:
            row = s.get(Backup, backup_id)
            if row is None:
                raise NotFound(f"backup {backup_id} not found", code="backup_not_found")
            return view(row)

    def list(self, volume_id: str | None = None, include_deleted: bool = False) -> list[dict]:
        with self.db.session() as s:
            q = select(Backup).order_by(Backup.created_at)
            if volume_id:
                q = q.where(Backup.volume_id == volume_id)
            if not include_deleted:
                q = q.where(Backup.state != "deleted")
            return [view(b) for b in s.scalars(q)]

    def latest_available(self, volume_id: str) -> dict | None:
        """The newest backup of the volume an incremental one can build on."""
        with self.db.session() as s:
            row = s.scalar(select(Backup).where(Backup.volume_id == volume_id, Backup.state == "available")
                           .order_by(Backup.created_at.desc()).limit(1))
            return view(row) if row else None

    def dependents(self, backup_id: str) -> int:
        """Incremental backups (not deleted) whose chunks reference this one's."""
        with self.db.session() as s:
            return s.scalar(select(func.count()).select_from(Backup).where(
                Backup.parent_id == backup_id, Backup.state != "deleted"))

    def swap(self, backup_id: str, from_states: set[str], to_state: str, **fields) -> bool:
        with self.db.session() as s:
            result = s.execute(update(Backup).where(Backup.id == backup_id, Backup.state.in_(from_states))
                               .values(state=to_state, **fields))
            return result.rowcount == 1


def view(b: Backup) -> dict:
    return {
        "id": b.id, "name": b.name, "volume_id": b.volume_id, "parent_id": b.parent_id,
        "incremental": b.parent_id is not None, "state": b.state, "size_gb": b.size_gb, "chunk_size": b.chunk_size,
        "location": f"s3://{b.bucket}/{b.manifest}", "stats": b.stats or {},
        "created_operation": b.created_operation_id, "created": iso(b.created_at), "deleted": iso(b.deleted_at),
    }
