"""Backup operations: their contexts and what their ends mean for the backup and
the volume records.

A volume being backed up is `backing-up` and returns to `in-use` or `available`
(it keeps its host_id meanwhile). A restore's target is `restoring-backup` and its
backup `restoring`; a failed restore leaves the target `error`, never silently wrong."""
from __future__ import annotations

from flows import backups
from flows.kinds.base import Kind, Stores, now
from flows.kinds.hosts import host_readiness
from infra.settings import Settings


def _resting(volume: dict) -> str:
    return "in-use" if volume["host_id"] else "available"


def _backup_ctx(op: dict, st: Stores, _settings: Settings) -> dict:
    """An attached volume's backup carries how its host's guest can be reached: with an
    agent it is backed up live (functions.backups)."""
    backup, volume = st.backups.get(op["backup_id"]), st.volumes.get(op["volume_id"])
    parent = st.backups.get(backup["parent_id"]) if backup["parent_id"] else None
    readiness = host_readiness(st.images, st.hosts.get(volume["host_id"])) if volume["host_id"] else None
    return {"operation_id": op["id"], "backup_id": backup["id"], "name": backup["name"],
            "volume_id": volume["id"], "volume_name": volume["name"], "hypervisor": volume["hypervisor"],
            "host_id": volume["host_id"], "readiness": readiness, "chunk_size": backup["chunk_size"],
            **_location(backup),
            "parent_manifest": _location(parent)["manifest"] if parent else None}


def _location(backup: dict) -> dict:
    bucket, _, key = backup["location"].removeprefix("s3://").partition("/")
    return {"bucket": bucket, "manifest": key}


def _backed_up(op: dict, st: Stores, ctx: dict) -> dict:
    st.backups.swap(op["backup_id"], {"creating"}, "available", stats=ctx["stats"])
    _volume_back(op, st)
    return {"backup": st.backups.get(op["backup_id"])}


def _backup_failed(op: dict, st: Stores, _outcomes: dict, _rolled_back: bool) -> None:
    st.backups.swap(op["backup_id"], {"creating"}, "error")
    _volume_back(op, st)


def _volume_back(op: dict, st: Stores) -> None:
    st.volumes.swap(op["volume_id"], {"backing-up"}, _resting(st.volumes.get(op["volume_id"])))


def _restore_ctx(op: dict, st: Stores, _settings: Settings) -> dict:
    backup, volume = st.backups.get(op["backup_id"]), st.volumes.get(op["volume_id"])
    return {"operation_id": op["id"], "backup_id": backup["id"], "name": backup["name"],
            "volume_id": volume["id"], "volume_name": volume["name"], "hypervisor": volume["hypervisor"],
            "size_gb": volume["size_gb"], "new_volume": bool(op["params"].get("new_volume")), **_location(backup)}


def _restored(op: dict, st: Stores, _ctx: dict) -> dict:
    st.volumes.swap(op["volume_id"], {"restoring-backup"}, "available")
    st.backups.swap(op["backup_id"], {"restoring"}, "available")
    return {"volume": st.volumes.get(op["volume_id"]), "backup_id": op["backup_id"]}


def _restore_failed(op: dict, st: Stores, _outcomes: dict, _rolled_back: bool) -> None:
    st.volumes.swap(op["volume_id"], {"restoring-backup"}, "error")
    st.backups.swap(op["backup_id"], {"restoring"}, "available")


def _delete_ctx(op: dict, st: Stores, _settings: Settings) -> dict:
    backup = st.backups.get(op["backup_id"])
    return {"operation_id": op["id"], "backup_id": backup["id"], "name": backup["name"], **_location(backup)}


def _deleted(op: dict, st: Stores, _ctx: dict) -> dict:
    st.backups.swap(op["backup_id"], {"deleting"}, "deleted", deleted_at=now())
    return {"backup_id": op["backup_id"], "deleted": True}


def _delete_failed(op: dict, st: Stores, _outcomes: dict, _rolled_back: bool) -> None:
    st.backups.swap(op["backup_id"], {"deleting"}, "error")


BACKUP_KINDS: dict[str, Kind] = {
    "backup_volume": Kind(backups.backup_volume, _backup_ctx, _backed_up, _backup_failed),
    "restore_backup": Kind(backups.restore_backup, _restore_ctx, _restored, _restore_failed),
    "delete_backup": Kind(backups.delete_backup, _delete_ctx, _deleted, _delete_failed),
}
