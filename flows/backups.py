"""Backup flows: back a volume up to object storage, restore a backup onto a volume,
delete a backup's objects."""
from __future__ import annotations

from prefect import flow

from flows.engine import Step, on_control, on_hypervisor, run_recorded


def _backup(ctx: dict) -> dict:
    return {k: ctx.get(k) for k in ("backup_id", "volume_id", "bucket", "manifest", "chunk_size",
                                    "parent_manifest", "host_id", "readiness")}


def _restore(ctx: dict) -> dict:
    return {"volume_id": ctx["volume_id"], "bucket": ctx["bucket"], "manifest": ctx["manifest"]}


def _new_volume(ctx: dict) -> dict:
    return {"volume_id": ctx["volume_id"], "size_gb": ctx["size_gb"]}


def _objects(ctx: dict) -> dict:
    return {"bucket": ctx["bucket"], "manifest": ctx["manifest"]}


def _absorb_stats(ctx: dict, outcome: dict) -> None:
    ctx["stats"] = outcome["data"]


BACKUP = [Step("backup_volume", "backup_volume", on_hypervisor, _backup, absorb=_absorb_stats)]
RESTORE = [Step("restore_backup", "restore_backup", on_hypervisor, _restore)]
NEW_VOLUME = Step("ensure_volume", "ensure_volume", on_hypervisor, _new_volume)
DELETE = [Step("delete_backup_objects", "delete_backup_objects", on_control, _objects)]


def restore_steps(ctx: dict) -> list[Step]:
    """A restore to a new volume creates it first. It is not undone on failure: the
    volume is left `error`, visibly, for the operator to retry or delete."""
    return [NEW_VOLUME, *RESTORE] if ctx.get("new_volume") else RESTORE


@flow(name="backup-volume", flow_run_name="back up {ctx[volume_name]} as {ctx[name]}", persist_result=False)
def backup_volume(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, BACKUP, ctx)


@flow(name="restore-backup", flow_run_name="restore {ctx[name]} onto {ctx[volume_name]}", persist_result=False)
def restore_backup(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, restore_steps(ctx), ctx)


@flow(name="delete-backup", flow_run_name="delete backup {ctx[name]}", persist_result=False)
def delete_backup(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, DELETE, ctx)
