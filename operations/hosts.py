"""Turning validated requests into recorded, queued operations (shared by the
REST endpoints and every webhook source)."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from infra.db.models import Host
from infra.db.volumes import take_attached
from infra.errors import Conflict, Invalid, NotFound
from infra.queue import QueueError, enqueue_operation
from operations import approvals


def _key(key: str | None) -> str:
    return key or f"auto:{uuid.uuid4()}"


def submit_allocate(svc, body, key: str | None, source: str, requester: str,
                    reply_to: dict | None = None) -> tuple[dict, bool]:
    params = body.model_dump(exclude_none=True)  # no hypervisor hint: the fingerprint it always had
    try:
        image = svc.images.get(body.image)
    except NotFound as exc:
        raise Invalid(exc.message, code="unknown_image") from exc
    existing = svc.operations.by_key(key) if key else None
    if existing is None and image["status"] != "active":
        raise Conflict(f"image {image['id']} is {image['status']}, not active", code="image_not_active")
    if existing is None and svc.hosts.name_taken(body.name, body.env):
        raise Conflict(f"a host named {body.name} already exists in {body.env}", code="name_in_use")
    if body.names:
        params["names"] = business_names(svc, body)
    host_id, op_id = str(uuid.uuid4()), str(uuid.uuid4())

    def add_host(session):
        session.add(Host(
            id=host_id, name=body.name, env=body.env, project=body.project,
            fqdn=f"{body.name}.{body.env}.{svc.settings.dns_zone}", state="building", image_id=image["id"],
            vcpus=body.flavor.vcpus, ram_mb=body.flavor.ram_mb, disk_gb=body.flavor.disk_gb,
            ssh_keys=body.ssh_keys, created_operation_id=op_id,
        ))

    op, created = svc.operations.create("allocate_host", _key(key), params, host_id=host_id, source=source,
                                        requester=requester, before_insert=add_host, op_id=op_id,
                                        reply_to=reply_to)
    if created:
        _enqueue(svc, op)
    return op, created


def business_names(svc, body) -> list[str]:
    """The CNAMEs an allocation publishes: normalised, once each, inside the managed zone,
    none the host's own name."""
    from functions.dns_names import normalise, zone_of

    zone = svc.planner.control.dns_zones[0]
    own = normalise(f"{body.name}.{body.env}.{svc.settings.dns_zone}")
    names = list(dict.fromkeys(normalise(n) for n in body.names))
    outside = [n for n in names if zone_of(n, (zone,)) is None]
    if outside:
        raise Invalid(f"names: {', '.join(outside)} outside the managed zone {zone}", code="outside_managed_zones")
    if own in names:
        raise Invalid(f"names: {own} is the host's own name", code="invalid_name")
    return names


def submit_reclaim(svc, host_id: str, key: str | None, source: str, requester: str,
                   delete_volumes: bool = False, reply_to: dict | None = None) -> tuple[dict, bool]:
    host = svc.hosts.get(host_id)
    if host["state"] == "deleted":
        last = svc.operations.latest_for_host(host_id, "reclaim_host")
        if last:
            return last, False
    active = svc.operations.active_for_host(host_id)
    if active and active["kind"] == "reclaim_host" and _deletes_volumes(active) == delete_volumes:
        return active, False
    if active:
        raise Conflict(f"host {host_id} has a {active['kind']} operation in progress", code="host_busy",
                       details={"operation": active["id"]})
    params = {"host_id": host_id, **({"delete_volumes": True} if delete_volumes else {})}
    key = key or f"reclaim:{host_id}:{uuid.uuid4()}"
    take = (lambda session: take_attached(session, host_id)) if delete_volumes else None
    op, created = svc.operations.create("reclaim_host", key, params, host_id=host_id, source=source,
                                        requester=requester, before_insert=take, reply_to=reply_to)
    if created:
        svc.hosts.update(host_id, state="deleting")
        _enqueue(svc, op)
    return op, created


def _deletes_volumes(op: dict) -> bool:
    return bool(op["params"].get("delete_volumes"))


RETRYABLE = {"failed", "rolled_back"}
HOST_STATES = {"allocate_host": "building", "reclaim_host": "deleting"}
BACKUP_KINDS = {"backup_volume", "restore_backup", "delete_backup"}
HOST_IMAGE_KINDS = {"snapshot_host", "rebuild_host"}
# A failed create or delete leaves its volume `error`; its retry takes it back.
VOLUME_STATES = {"create_volume": "creating", "delete_volume": "deleting"}


def retry(svc, op_id: str) -> dict:
    op = svc.operations.get(op_id)
    if op["state"] in RETRYABLE:
        _retake(svc, op)
    op = svc.operations.reopen_for_retry(op_id)
    if op["kind"] in HOST_STATES:
        svc.hosts.update(op["host_id"], state=HOST_STATES[op["kind"]])
    _enqueue(svc, op, attempt=op["attempts"])
    return svc.operations.get(op_id)


def _retake(svc, op: dict) -> None:
    """What the operation works on is taken again (compare-and-swap, 409 if something else has it)."""
    if op["kind"] in VOLUME_STATES:
        svc.volumes.take(op["volume_id"], {"error"}, VOLUME_STATES[op["kind"]])
    elif op["kind"] == "reclaim_host" and _deletes_volumes(op):
        svc.volumes.take_attached(op["host_id"])
    elif op["kind"] in BACKUP_KINDS:
        from operations.backups import retake  # it builds on this module

        retake(svc, op)
    elif op["kind"] in HOST_IMAGE_KINDS:
        from operations.snapshots import retake as retake_host  # it builds on this module

        retake_host(svc, op)


_deferred: ContextVar[bool] = ContextVar("hostflow_deferred_start", default=False)


@contextmanager
def deferred_start() -> Iterator[None]:
    """Submissions inside record their operations `queued` without starting them: the
    caller (a Prefect deployment run) starts them itself with `start`."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def start(svc, op: dict, run_id: str | None = None) -> None:
    """A new operation waits for approval where the policy says so; else it is queued."""
    if not approvals.hold(svc, op, run_id):
        _enqueue(svc, op, gate=False)


def _enqueue(svc, op: dict, attempt: int = 0, gate: bool = True) -> None:
    if attempt == 0 and gate:
        if _deferred.get():
            return
        if approvals.hold(svc, op):
            return
    try:
        enqueue_operation(svc.redis, op["id"], attempt)
    except QueueError:
        svc.operations.transition(op["id"], {"queued"}, "failed", error_code="queue_unavailable",
                                  error_message="the queue was unavailable; retry the operation")
        if op["kind"] in VOLUME_STATES:
            svc.volumes.swap(op["volume_id"], {VOLUME_STATES[op["kind"]]}, "error")
        elif op["kind"] in BACKUP_KINDS:
            from operations.backups import release  # it builds on this module

            release(svc, op)
        elif op["kind"] in HOST_IMAGE_KINDS:
            from operations.snapshots import release as release_host  # it builds on this module

            release_host(svc, op)
        raise
