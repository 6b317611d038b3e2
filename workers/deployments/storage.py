"""The Prefect deployments for volumes, backups, shares, names and resize answers: the
same as `workers.deployments.hosts` (typed parameters, the API's validation and submission, an
operation with source `prefect-ui` that this run follows), for the operations named by
a volume, a backup or a host and one more name."""
from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from operations.backups import submit_backup, submit_delete_backup, submit_restore
from operations.dns import submit_remove
from operations.requests import CreateBackup, ExtendVolume, RestoreBackup, refuse_out_of_range, size_limit
from operations.resize import submit_confirm, submit_revert
from operations.shares import submit_attach_share, submit_detach_share
from operations.volumes import submit_delete_volume, submit_extend
from workers.deployments.hosts import _on_cancel, _resolve_host, _services, _start_recorded, _ui_submission, follow


class HostRef(BaseModel):
    host: str = Field(min_length=1, max_length=64, description="the host's name or id")
    env: str | None = Field(default=None, description="its environment, where the name is in several")


def _run(record):
    """Records the operation (once) with `record(svc, who)` and follows it."""
    svc = _services()
    return follow(svc, _start_recorded(svc, lambda: record(svc, _ui_submission()))["id"])


def _host_id(svc, ref: HostRef) -> str:
    return _resolve_host(svc, ref.host, ref.env)["id"]


@flow(name="delete-volume", on_cancellation=[_on_cancel])
def delete_volume(volume_id: str):
    """Deletes an available volume, as DELETE /v1/volumes/{id} does."""
    return _run(lambda svc, who: submit_delete_volume(svc, volume_id, **who))


@flow(name="extend-volume", on_cancellation=[_on_cancel])
def extend_volume(volume_id: str, request: ExtendVolume):
    """Grows a volume, as POST /v1/volumes/{id}/extend does."""

    def record(svc, who):
        refuse_out_of_range(size_limit(request.size_gb, svc.settings))
        return submit_extend(svc, volume_id, request.size_gb, **who)

    return _run(record)


@flow(name="backup-volume", on_cancellation=[_on_cancel])
def backup_volume(volume_id: str, request: CreateBackup):
    """Backs a volume up to object storage, as POST /v1/volumes/{id}/backups does."""
    return _run(lambda svc, who: submit_backup(svc, volume_id, request, **who))


@flow(name="restore-backup", on_cancellation=[_on_cancel])
def restore_backup(backup_id: str, request: RestoreBackup):
    """Restores a backup onto a volume, as POST /v1/backups/{id}/restore does."""
    return _run(lambda svc, who: submit_restore(svc, backup_id, request, **who))


@flow(name="delete-backup", on_cancellation=[_on_cancel])
def delete_backup(backup_id: str):
    """Deletes a backup's objects and record, as DELETE /v1/backups/{id} does."""
    return _run(lambda svc, who: submit_delete_backup(svc, backup_id, **who))


@flow(name="confirm-resize", on_cancellation=[_on_cancel])
def confirm_resize(target: HostRef):
    """Confirms a host's pending resize, as POST .../resize/confirm does."""
    return _run(lambda svc, who: submit_confirm(svc, _host_id(svc, target), who["source"], who["requester"]))


@flow(name="revert-resize", on_cancellation=[_on_cancel])
def revert_resize(target: HostRef):
    """Reverts a host's pending resize, as POST .../resize/revert does."""
    return _run(lambda svc, who: submit_revert(svc, _host_id(svc, target), who["source"], who["requester"]))


@flow(name="remove-name", on_cancellation=[_on_cancel])
def remove_name(target: HostRef, fqdn: str):
    """Removes one of a host's DNS names, as DELETE .../names/{fqdn} does."""
    return _run(lambda svc, who: submit_remove(svc, _host_id(svc, target), fqdn, **who))


@flow(name="attach-share", on_cancellation=[_on_cancel])
def attach_share(target: HostRef, share: str):
    """Mounts an environment's shared storage in a host, as POST .../shares does."""
    return _run(lambda svc, who: submit_attach_share(svc, _host_id(svc, target), share, **who))


@flow(name="detach-share", on_cancellation=[_on_cancel])
def detach_share(target: HostRef, share: str):
    """Unmounts a share from a host, as DELETE .../shares/{name} does."""
    return _run(lambda svc, who: submit_detach_share(svc, _host_id(svc, target), share, **who))


STORAGE_DEPLOYMENTS = (delete_volume, extend_volume, backup_volume, restore_backup, delete_backup, confirm_resize,
                       revert_resize, remove_name, attach_share, detach_share)
