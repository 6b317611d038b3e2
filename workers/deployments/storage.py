"""The Prefect deployments for volumes, backups, shares, names and resize answers: the
same as `workers.deployments.hosts` (typed parameters, the API's validation and submission, an
operation with source `prefect-ui` that this run follows), for the operations named by
a volume, a backup or a host and one more name. Each acts in its `project` alone: a
volume, backup or host of another project is not found (`workers.deployments.run.Scope`)."""
from __future__ import annotations

from prefect import flow

from operations.backups import submit_backup, submit_delete_backup, submit_restore
from operations.dns import submit_remove
from operations.requests import CreateBackup, ExtendVolume, RestoreBackup
from operations.resize import submit_confirm, submit_revert
from operations.shares import submit_attach_share, submit_detach_share
from operations.volumes import submit_delete_volume, submit_extend
from workers.deployments.run import HostRef, on_cancel, record_and_follow


@flow(name="delete-volume", on_cancellation=[on_cancel])
def delete_volume(project: str, volume_id: str):
    """Deletes an available volume, as DELETE /v1/volumes/{id} does."""
    return record_and_follow(project, lambda svc, scope: submit_delete_volume(
        svc, volume_id, scope.checked(svc, volume_id=volume_id)))


@flow(name="extend-volume", on_cancellation=[on_cancel])
def extend_volume(project: str, volume_id: str, request: ExtendVolume):
    """Grows a volume, as POST /v1/volumes/{id}/extend does."""
    return record_and_follow(project, lambda svc, scope: submit_extend(
        svc, volume_id, request.size_gb, scope.checked(svc, volume_id=volume_id)))


@flow(name="backup-volume", on_cancellation=[on_cancel])
def backup_volume(project: str, volume_id: str, request: CreateBackup):
    """Backs a volume up to object storage, as POST /v1/volumes/{id}/backups does."""
    return record_and_follow(project, lambda svc, scope: submit_backup(
        svc, volume_id, request, scope.checked(svc, volume_id=volume_id)))


@flow(name="restore-backup", on_cancellation=[on_cancel])
def restore_backup(project: str, backup_id: str, request: RestoreBackup):
    """Restores a backup onto a volume, as POST /v1/backups/{id}/restore does."""
    return record_and_follow(project, lambda svc, scope: submit_restore(
        svc, backup_id, request, scope.checked(svc, backup_id=backup_id, volume_id=request.volume_id)))


@flow(name="delete-backup", on_cancellation=[on_cancel])
def delete_backup(project: str, backup_id: str):
    """Deletes a backup's objects and record, as DELETE /v1/backups/{id} does."""
    return record_and_follow(project, lambda svc, scope: submit_delete_backup(
        svc, backup_id, scope.checked(svc, backup_id=backup_id)))


@flow(name="confirm-resize", on_cancellation=[on_cancel])
def confirm_resize(project: str, target: HostRef):
    """Confirms a host's pending resize, as POST .../resize/confirm does."""
    return record_and_follow(project, lambda svc, scope: submit_confirm(
        svc, target.resolve(svc, scope), scope.origin()))


@flow(name="revert-resize", on_cancellation=[on_cancel])
def revert_resize(project: str, target: HostRef):
    """Reverts a host's pending resize, as POST .../resize/revert does."""
    return record_and_follow(project, lambda svc, scope: submit_revert(
        svc, target.resolve(svc, scope), scope.origin()))


@flow(name="remove-name", on_cancellation=[on_cancel])
def remove_name(project: str, target: HostRef, fqdn: str):
    """Removes one of a host's DNS names, as DELETE .../names/{fqdn} does."""
    return record_and_follow(project, lambda svc, scope: submit_remove(
        svc, target.resolve(svc, scope), fqdn, scope.origin()))


@flow(name="attach-share", on_cancellation=[on_cancel])
def attach_share(project: str, target: HostRef, share: str):
    """Mounts an environment's shared storage in a host, as POST .../shares does."""
    return record_and_follow(project, lambda svc, scope: submit_attach_share(
        svc, target.resolve(svc, scope), share, scope.origin()))


@flow(name="detach-share", on_cancellation=[on_cancel])
def detach_share(project: str, target: HostRef, share: str):
    """Unmounts a share from a host, as DELETE .../shares/{name} does."""
    return record_and_follow(project, lambda svc, scope: submit_detach_share(
        svc, target.resolve(svc, scope), share, scope.origin()))


STORAGE_DEPLOYMENTS = (delete_volume, extend_volume, backup_volume, restore_backup, delete_backup, confirm_resize,
                       revert_resize, remove_name, attach_share, detach_share)
