"""Turning validated requests into recorded, queued operations (shared by the
REST endpoints and every webhook source)."""
from __future__ import annotations

import uuid
from collections.abc import Callable

from infra.db.models import Host
from infra.db.volumes import take_attached
from infra.dns_names import normalise, zone_of
from infra.errors import Conflict, Invalid
from operations import user_data
from operations.image_access import image_to_use, require_bootable
from operations.lookup import everyone
from operations.origin import Origin
from operations.record import key_or_new, start_new, starts_now
from operations.services import Services


def submit_allocate(svc: Services, body, origin: Origin) -> tuple[dict, bool]:
    params = body.model_dump(exclude_none=True, exclude={"user_data"})  # no hint: the fingerprint it always had
    if body.user_data:
        params["user_data_sha256"] = user_data.fingerprint(body.user_data)
    image = image_to_use(svc, body.image, origin.sees)
    existing = svc.operations.by_key(origin.key) if origin.key else None
    if existing is None and image["status"] != "active":
        raise Conflict(f"image {image['id']} is {image['status']}, not active", code="image_not_active")
    if existing is None:
        require_bootable(image, iso=True)
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
            ssh_keys=body.ssh_keys, user_data=body.user_data, created_operation_id=op_id,
            restart_policy="always" if body.restart == "always" else None,
        ))

    op, created = svc.operations.create("allocate_host", key_or_new(origin.key), params, host_id=host_id,
                                        source=origin.source, requester=origin.requester,
                                        before_insert=add_host, op_id=op_id, reply_to=origin.reply_to,
                                        start=starts_now())
    if created:
        start_new(svc, op)
    return op, created


def plan_allocate(svc: Services, body, sees: Callable[[str], bool] = everyone) -> dict:
    """The dry run of an allocation, from the image the caller's reference resolves to."""
    image = image_to_use(svc, body.image, sees)
    require_bootable(image, iso=True)
    return svc.planner.allocate(body.model_copy(update={"image": image["id"]}))


def business_names(svc: Services, body) -> list[str]:
    """The CNAMEs an allocation publishes: normalised, once each, inside the managed zone,
    none the host's own name."""
    zone = svc.planner.control.dns_zones[0]
    own = normalise(f"{body.name}.{body.env}.{svc.settings.dns_zone}")
    names = list(dict.fromkeys(normalise(n) for n in body.names))
    outside = [n for n in names if zone_of(n, (zone,)) is None]
    if outside:
        raise Invalid(f"names: {', '.join(outside)} outside the managed zone {zone}", code="outside_managed_zones")
    if own in names:
        raise Invalid(f"names: {own} is the host's own name", code="invalid_name")
    return names


def submit_reclaim(svc: Services, host_id: str, origin: Origin, delete_volumes: bool = False) -> tuple[dict, bool]:
    host = svc.hosts.get(host_id)
    if host["state"] == "deleted":
        last = svc.operations.latest_for_host(host_id, "reclaim_host")
        if last:
            return last, False
    active = svc.operations.active_for_host(host_id)
    if active and active["kind"] == "reclaim_host" and deletes_volumes(active) == delete_volumes:
        return active, False
    if active:
        raise Conflict(f"host {host_id} has a {active['kind']} operation in progress", code="host_busy",
                       details={"operation": active["id"]})
    params = {"host_id": host_id, **({"delete_volumes": True} if delete_volumes else {})}
    take = (lambda session: take_attached(session, host_id)) if delete_volumes else None
    key = origin.key or f"reclaim:{host_id}:{uuid.uuid4()}"
    op, created = svc.operations.create("reclaim_host", key, params, host_id=host_id, source=origin.source,
                                        requester=origin.requester, before_insert=take, reply_to=origin.reply_to,
                                        start=starts_now())
    if created:
        svc.hosts.update(host_id, state="deleting")
        start_new(svc, op)
    return op, created


def deletes_volumes(op: dict) -> bool:
    return bool(op["params"].get("delete_volumes"))
