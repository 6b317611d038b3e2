"""Backup operations: back up, restore, delete. Every record they take changes state
by compare-and-swap in the transaction that records the operation."""
from __future__ import annotations

import uuid

from functions.backups import manifest_key
from infra.db.models import Backup, Volume
from infra.db.take import all_of, take
from infra.errors import Conflict, Invalid, NoCapacity
from operations.origin import Origin
from operations.record import replay, submit
from operations.services import Services
from operations.volumes import swap_in

GIB = 1 << 30


def _take_backup(backup_id: str, from_states: set[str], to_state: str):
    return take(Backup, backup_id, from_states, to_state, "backup_busy")


def submit_backup(svc: Services, volume_id: str, body, origin: Origin) -> dict:
    params = {"volume_id": volume_id, **body.model_dump()}
    existing = replay(svc, "backup_volume", origin.key, params)
    if existing:
        return existing
    volume = svc.volumes.get(volume_id)
    parent = svc.backups.latest_available(volume_id) if body.incremental else None
    if body.incremental and parent is None:
        raise Conflict(f"volume {volume_id} has no available backup to build an incremental one on",
                       code="no_parent_backup")
    backup_id, op_id = str(uuid.uuid4()), str(uuid.uuid4())
    settings = svc.settings

    def add_backup(session) -> None:
        session.add(Backup(id=backup_id, name=body.name or f"{volume['name']}-{backup_id[:8]}", volume_id=volume_id,
                           parent_id=parent and parent["id"], state="creating", size_gb=volume["size_gb"],
                           chunk_size=settings.backup_chunk_size, bucket=settings.backup_bucket,
                           manifest=manifest_key(volume_id, backup_id), stats={}, created_operation_id=op_id))

    take = swap_in(volume_id, {"available", "in-use"}, "backing-up")
    return submit(svc, "backup_volume", origin.keyed(f"backup:{volume_id}:{uuid.uuid4()}"), params,
                  before_insert=all_of(take, add_backup), volume_id=volume_id, op_id=op_id,
                  backup_id=backup_id)


def submit_restore(svc: Services, backup_id: str, body, origin: Origin) -> dict:
    params = {"backup_id": backup_id, **body.model_dump()}
    existing = replay(svc, "restore_backup", origin.key, params)
    if existing:
        return existing
    backup = svc.backups.get(backup_id)
    if backup["state"] != "available":
        raise Conflict(f"backup {backup_id} is {backup['state']}", code="backup_busy",
                       details={"state": backup["state"]})
    origin = origin.keyed(f"restore:{backup_id}:{uuid.uuid4()}")
    take_backup = _take_backup(backup_id, {"available"}, "restoring")
    if body.volume_id:
        target = _existing_target(svc, backup, body.volume_id)
        take = swap_in(target["id"], {"available"}, "restoring-backup")
        return submit(svc, "restore_backup", origin, params, before_insert=all_of(take_backup, take),
                      volume_id=target["id"], backup_id=backup_id)
    volume_id, add_volume = _new_target(svc, backup, body)
    return submit(svc, "restore_backup", origin, {**params, "new_volume": True},
                  before_insert=all_of(take_backup, add_volume), volume_id=volume_id,
                  backup_id=backup_id)


def _existing_target(svc: Services, backup: dict, volume_id: str) -> dict:
    target = svc.volumes.get(volume_id)
    if target["state"] == "in-use":
        raise Conflict(f"volume {volume_id} is attached to host {target['host_id']}; detach it before "
                       "restoring onto it", code="volume_in_use", details={"host_id": target["host_id"]})
    if target["size_gb"] < backup["size_gb"]:
        raise Invalid(f"volume {volume_id} is {target['size_gb']} GiB, the backup {backup['size_gb']} GiB",
                      code="volume_too_small")
    return target


def _new_target(svc: Services, backup: dict, body):
    source = svc.volumes.get(backup["volume_id"])
    nodes = svc.planner.control.capacity.candidates(0, 0, backup["size_gb"])
    if body.hypervisor:
        nodes = [n for n in nodes if n == body.hypervisor]
    nodes.sort(key=lambda n: n != source["hypervisor"])
    if not nodes:
        raise NoCapacity(f"{body.hypervisor or 'no hypervisor'} has room for a {backup['size_gb']} GiB volume "
                         "(or it is not live)")
    volume_id = str(uuid.uuid4())

    def add_volume(session) -> None:
        session.add(Volume(id=volume_id, name=body.name or f"{backup['name']}-restore", env=source["env"],
                           project=source["project"], size_gb=backup["size_gb"], state="restoring-backup",
                           hypervisor=nodes[0]))

    return volume_id, add_volume


def submit_delete_backup(svc: Services, backup_id: str, origin: Origin) -> dict:
    backup = svc.backups.get(backup_id)
    if backup["state"] == "deleted":
        last = svc.operations.latest_for_backup(backup_id, "delete_backup")
        if last:
            return last
    dependents = svc.backups.dependents(backup_id)
    if dependents:
        raise Conflict(f"{dependents} incremental backup(s) depend on backup {backup_id}; delete them first",
                       code="backup_has_dependents", details={"dependents": dependents})
    origin = origin.keyed(f"delete-backup:{backup_id}:{uuid.uuid4()}")
    return submit(svc, "delete_backup", origin, {"backup_id": backup_id},
                  before_insert=_take_backup(backup_id, {"available", "error"}, "deleting"),
                  volume_id=backup["volume_id"], backup_id=backup_id)


KINDS = ("backup_volume", "restore_backup", "delete_backup")
RETAKES = {
    "backup_volume": lambda op: (_take_backup(op["backup_id"], {"error"}, "creating"),
                                 swap_in(op["volume_id"], {"available", "in-use"}, "backing-up")),
    "restore_backup": lambda op: (_take_backup(op["backup_id"], {"available"}, "restoring"),
                                  swap_in(op["volume_id"], {"error"}, "restoring-backup")),
    "delete_backup": lambda op: (_take_backup(op["backup_id"], {"error"}, "deleting"),),
}


def retake(svc: Services, op: dict) -> None:
    """A failed backup operation's records are taken again for its retry, in one
    transaction (409 if something else has one of them meanwhile)."""
    with svc.operations.db.session() as session:
        all_of(*RETAKES[op["kind"]](op))(session)

