from __future__ import annotations

from sqlalchemy import select, update

from infra.db.engine import Database
from infra.db.models import Host, iso
from infra.errors import NotFound


class HostStore:
    def __init__(self, db: Database):
        self.db = db

    def get(self, host_id: str) -> dict:
        with self.db.reading() as s:
            host = s.get(Host, host_id)
            if host is None:
                raise NotFound(f"host {host_id} not found", code="host_not_found")
            return view(host)

    def list(self, include_deleted: bool = False) -> list[dict]:
        with self.db.reading() as s:
            q = select(Host).order_by(Host.created_at)
            if not include_deleted:
                q = q.where(Host.state != "deleted")
            return [view(h) for h in s.scalars(q)]

    def name_taken(self, name: str, env: str) -> bool:
        with self.db.reading() as s:
            return s.scalar(select(Host.id).where(Host.name == name, Host.env == env,
                                                  Host.state != "deleted").limit(1)) is not None

    def named(self, name: str, env: str | None = None) -> list[dict]:
        """The live hosts of that name, in that environment when given."""
        with self.db.reading() as s:
            q = select(Host).where(Host.name == name, Host.state != "deleted").order_by(Host.env)
            if env is not None:
                q = q.where(Host.env == env)
            return [view(h) for h in s.scalars(q)]

    def by_name(self, name: str, env: str) -> dict | None:
        """The live host of that name in that environment, else the last one deleted."""
        with self.db.reading() as s:
            hosts = s.scalars(select(Host).where(Host.name == name, Host.env == env)
                              .order_by(Host.created_at.desc())).all()
            live = [h for h in hosts if h.state != "deleted"]
            return view((live or hosts)[0]) if hosts else None

    def user_data(self, host_id: str) -> str | None:
        """The host's user-data (base64): kept out of its view, which lists and reports show."""
        with self.db.reading() as s:
            return s.scalar(select(Host.user_data).where(Host.id == host_id))

    def update(self, host_id: str, **fields) -> None:
        with self.db.session() as s:
            s.execute(update(Host).where(Host.id == host_id).values(**fields))


def view(h: Host) -> dict:
    return {
        "id": h.id, "name": h.name, "env": h.env, "project": h.project, "fqdn": h.fqdn, "state": h.state,
        "power_state": h.power_state, "restart": h.restart_policy or "never", "restarts": h.restart_count or 0,
        "hypervisor": h.hypervisor, "addresses": h.addresses,
        "flavor": {"vcpus": h.vcpus, "ram_mb": h.ram_mb, "disk_gb": h.disk_gb},
        "image": h.image_id, "ssh_keys": h.ssh_keys, "created_operation": h.created_operation_id,
        "created": iso(h.created_at), "deleted": iso(h.deleted_at),
    }
