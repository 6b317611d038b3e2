"""Volume operations: recorded and queued like hosts. The state change that takes
the volume happens in the same transaction as the operation record, as a
compare-and-swap, so two requests can never both take one volume."""
from __future__ import annotations

import uuid

from infra.db.models import Volume
from infra.db.take import take
from infra.errors import Conflict, Invalid, NoCapacity
from operations.origin import Origin
from operations.power import refuse_suspended
from operations.record import replay, submit
from operations.requests import refuse_out_of_range, size_limit
from operations.services import Services


def _volume_code(state: str) -> str:
    return {"in-use": "volume_in_use", "deleted": "volume_deleted"}.get(state, "volume_busy")


# A failed create or delete leaves its volume `error`; its retry takes it back.
VOLUME_STATES = {"create_volume": "creating", "delete_volume": "deleting"}


def retake(svc: Services, op: dict) -> None:
    svc.volumes.take(op["volume_id"], {"error"}, VOLUME_STATES[op["kind"]])



def swap_in(volume_id: str, from_states: set[str], to_state: str, **fields):
    return take(Volume, volume_id, from_states, to_state, _volume_code, **fields)


def _plan(svc: Services, kind: str, volume: dict, host_id: str | None = None) -> dict:
    ctx = {"volume_id": volume["id"], "size_gb": volume["size_gb"], "hypervisor": volume["hypervisor"],
           "host_id": host_id}
    return svc.planner.volume(kind, ctx)


def submit_create_volume(svc: Services, body, origin: Origin, dry_run: bool = False) -> dict:
    refuse_out_of_range(size_limit(body.size_gb, svc.settings))
    params = body.model_dump()
    existing = replay(svc, "create_volume", origin.key, params)
    if existing:
        return existing
    nodes = svc.planner.control.capacity.candidates(0, 0, body.size_gb)
    if body.hypervisor:
        nodes = [n for n in nodes if n == body.hypervisor]
    if not nodes:
        where = body.hypervisor or "any hypervisor"
        raise NoCapacity(f"{where} has no room for a {body.size_gb} GiB volume (or is not live)")
    volume_id, op_id = str(uuid.uuid4()), str(uuid.uuid4())
    if dry_run:
        return _plan(svc, "create_volume", {"id": volume_id, "size_gb": body.size_gb, "hypervisor": nodes[0]})

    def add_volume(session) -> None:
        session.add(Volume(id=volume_id, name=body.name, env=body.env, project=body.project, size_gb=body.size_gb,
                           state="creating", hypervisor=nodes[0], created_operation_id=op_id))

    return submit(svc, "create_volume", origin, params, before_insert=add_volume,
                  volume_id=volume_id, op_id=op_id)


def submit_delete_volume(svc: Services, volume_id: str, origin: Origin, dry_run: bool = False) -> dict:
    volume = svc.volumes.get(volume_id)
    if volume["state"] == "deleted":
        last = svc.operations.latest_for_volume(volume_id, "delete_volume")
        if last:
            return last
    if volume["state"] == "in-use":
        raise Conflict(f"volume {volume_id} is attached to host {volume['host_id']}; detach it first",
                       code="volume_in_use", details={"host_id": volume["host_id"]})
    if dry_run:
        return _plan(svc, "delete_volume", volume)
    origin = origin.keyed(f"delete-volume:{volume_id}:{uuid.uuid4()}")
    return submit(svc, "delete_volume", origin, {"volume_id": volume_id},
                  before_insert=swap_in(volume_id, {"available", "error"}, "deleting"),
                  volume_id=volume_id)


def submit_attach(svc: Services, host_id: str, volume_id: str, origin: Origin, dry_run: bool = False) -> dict:
    params = {"host_id": host_id, "volume_id": volume_id}
    existing = replay(svc, "attach_volume", origin.key, params)
    if existing:
        return existing
    host, volume = svc.hosts.get(host_id), svc.volumes.get(volume_id)
    if host["state"] != "active" or svc.operations.active_for_host(host_id):
        raise Conflict(f"host {host_id} is {host['state']} or busy with another operation", code="host_busy")
    refuse_suspended(host, "attach a volume to")
    if volume["hypervisor"] != host["hypervisor"]:
        raise Conflict(f"volume {volume_id} lives on {volume['hypervisor']}, host {host_id} on "
                       f"{host['hypervisor']}; volumes cannot move between hypervisors yet",
                       code="volume_on_other_hypervisor")
    if dry_run:
        if volume["state"] != "available":
            raise Conflict(f"volume {volume_id} is {volume['state']}", code="volume_busy")
        return _plan(svc, "attach_volume", volume, host_id)
    return submit(svc, "attach_volume", origin, params,
                  before_insert=swap_in(volume_id, {"available"}, "reserved"), volume_id=volume_id, host_id=host_id)


def submit_detach(svc: Services, host_id: str, volume_id: str, origin: Origin, dry_run: bool = False) -> dict:
    params = {"host_id": host_id, "volume_id": volume_id}
    existing = replay(svc, "detach_volume", origin.key, params)
    if existing:
        return existing
    volume = svc.volumes.get(volume_id)
    if volume["host_id"] != host_id:
        raise Conflict(f"volume {volume_id} is not attached to host {host_id}", code="volume_not_attached")
    refuse_suspended(svc.hosts.get(host_id), "detach a volume from")
    if dry_run:
        return _plan(svc, "detach_volume", volume, host_id)
    origin = origin.keyed(f"detach:{volume_id}:{uuid.uuid4()}")
    return submit(svc, "detach_volume", origin, params,
                  before_insert=swap_in(volume_id, {"in-use"}, "detaching"), volume_id=volume_id, host_id=host_id)


def submit_extend(svc: Services, volume_id: str, size_gb: int, origin: Origin, dry_run: bool = False) -> dict:
    refuse_out_of_range(size_limit(size_gb, svc.settings))
    volume = svc.volumes.get(volume_id)
    if size_gb <= volume["size_gb"]:
        raise Invalid(f"size_gb: volumes only grow; {volume_id} is already {volume['size_gb']} GiB",
                      code="shrink_not_supported")
    if volume["state"] not in {"available", "in-use"}:
        raise Conflict(f"volume {volume_id} is {volume['state']}", code="volume_busy")
    if dry_run:
        ctx = {"volume_id": volume_id, "new_size_gb": size_gb, "hypervisor": volume["hypervisor"],
               "host_id": volume["host_id"]}
        return svc.planner.volume("extend_volume", ctx)
    params = {"volume_id": volume_id, "size_gb": size_gb, "from_state": volume["state"]}
    origin = origin.keyed(f"extend:{volume_id}:{uuid.uuid4()}")
    return submit(svc, "extend_volume", origin, params,
                  before_insert=swap_in(volume_id, {volume["state"]}, "extending"), volume_id=volume_id,
                  host_id=volume["host_id"])
