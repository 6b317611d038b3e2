"""Snapshot a host into a new image; rebuild a host from an image. The host is taken
(`active` -> `snapshotting` / `rebuilding`, compare-and-swap) and the snapshot's image
record (private to the host's project) added in the transaction that records the
operation. A rebuild's image is one the caller may see (`image_access.resolve_image`)."""
from __future__ import annotations

import uuid

from infra.db.image_lifecycle import snapshot_record
from infra.db.models import Host
from infra.db.take import take
from infra.errors import Conflict, Invalid, NotFound
from operations.image_access import check_name_free, image_to_use, require_bootable
from operations.origin import Origin
from operations.power import refuse_suspended
from operations.record import replay_request, submit
from operations.services import Services

GIB = 1 << 30
BUSY_STATES = {"snapshot_host": "snapshotting", "rebuild_host": "rebuilding"}


def _take_host(host_id: str, to_state: str):
    return take(Host, host_id, {"active"}, to_state, "host_busy")


def _require_idle(svc: Services, host: dict) -> None:
    active = svc.operations.active_for_host(host["id"])
    if host["state"] != "active" or active:
        details = {"state": host["state"], **({"operation": active["id"]} if active else {})}
        raise Conflict(f"host {host['id']} is {host['state']}" + (f" with a {active['kind']} operation in progress"
                                                                  if active else ""),
                       code="host_busy", details=details)


def submit_snapshot(svc: Services, host_id: str, body, origin: Origin) -> dict:
    replay = replay_request(svc, "snapshot_host", origin.key, host_id=host_id, name=body.name)
    if replay:
        return replay
    host = svc.hosts.get(host_id)
    _require_idle(svc, host)
    check_name_free(svc, body.name, "private")
    source_image = _image_or_none(svc, host["image"])
    image_id = str(uuid.uuid4())

    def take(session) -> None:
        _take_host(host_id, "snapshotting")(session)
        session.add(snapshot_record(image_id, body.name, host, source_image))

    params = {"host_id": host_id, "name": body.name, "image_id": image_id}
    return submit(svc, "snapshot_host", origin.keyed(f"snapshot:{host_id}:{uuid.uuid4()}"), params,
                  before_insert=take, host_id=host_id)


def _image_or_none(svc: Services, image_id: str) -> dict | None:
    try:
        return svc.images.by_id(image_id)
    except NotFound:
        return None


def submit_rebuild(svc: Services, host_id: str, body, origin: Origin) -> dict:
    replay = replay_request(svc, "rebuild_host", origin.key, host_id=host_id, image=body.image)
    if replay:
        return replay
    host = svc.hosts.get(host_id)
    image = image_to_use(svc, body.image, origin.sees)
    check_rebuild_image(image, svc.image_lifecycle.requirements(image["id"]), host["flavor"])
    _require_idle(svc, host)
    refuse_suspended(host, "rebuild")
    params = {"host_id": host_id, "image": body.image, "image_id": image["id"]}
    return submit(svc, "rebuild_host", origin.keyed(f"rebuild:{host_id}:{uuid.uuid4()}"), params,
                  before_insert=_take_host(host_id, "rebuilding"), host_id=host_id)


def check_rebuild_image(image: dict, needs: dict, flavor: dict) -> None:
    """An image the host can boot from with its flavor, or a 4xx saying why not."""
    if image["status"] != "active":
        raise Conflict(f"image {image['id']} is {image['status']}; only an active image can be rebuilt from",
                       code="image_not_active", details={"status": image["status"]})
    require_bootable(image)
    disk_gb = max(needs["min_disk_gb"], -(-(needs["virtual_size"] or 0) // GIB))
    if disk_gb > flavor["disk_gb"]:
        raise Invalid(f"image {image['id']} needs a {disk_gb} GiB disk, the host's flavor has {flavor['disk_gb']} GiB",
                      code="flavor_disk_too_small", details={"min_disk_gb": disk_gb})
    if needs["min_ram_mb"] > flavor["ram_mb"]:
        raise Invalid(f"image {image['id']} needs {needs['min_ram_mb']} MiB of memory, the host's flavor has "
                      f"{flavor['ram_mb']} MiB", code="flavor_ram_too_small",
                      details={"min_ram_mb": needs["min_ram_mb"]})


# A rebuild that could not be put back left its host `error`: its retry finishes it.
RETRY_FROM = {"snapshot_host": {"active", "snapshotting"}, "rebuild_host": {"active", "rebuilding", "error"}}


def retake(svc: Services, op: dict) -> None:
    """A failed snapshot or rebuild is retried with its host taken again (409 if another
    operation has it meanwhile); a killed snapshot image is queued again."""
    busy = BUSY_STATES[op["kind"]]
    with svc.operations.db.session() as session:
        take(Host, op["host_id"], RETRY_FROM[op["kind"]], busy, "host_busy")(session)
    if op["kind"] == "snapshot_host":
        svc.image_lifecycle.swap(op["params"]["image_id"], {"killed"}, "queued", status_reason=None)

