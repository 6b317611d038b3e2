"""Resize, confirm and revert: recorded and queued like every host operation. The
host's state changes in the transaction that records the operation."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from infra.db.models import Host
from infra.db.take import take
from infra.errors import Conflict, Invalid
from operations.origin import Origin
from operations.power import refuse_suspended
from operations.record import replay_request, submit
from operations.requests import flavor_limits, refuse_out_of_range
from operations.services import Services


def _take_host(host_id: str, from_state: str, to_state: str):
    code = "no_resize_pending" if from_state == "verify_resize" else "host_busy"
    return take(Host, host_id, {from_state}, to_state, code)


def submit_resize(svc: Services, host_id: str, body, origin: Origin) -> dict:
    refuse_out_of_range(flavor_limits(body.flavor, svc.settings))
    host = svc.hosts.get(host_id)
    current, wanted = host["flavor"], body.flavor.model_dump()
    if origin.key and svc.operations.by_key(origin.key):
        return svc.operations.create("resize_host", origin.key, {"flavor": wanted, "from": current})[0]
    refuse_suspended(host, "resize")
    if wanted == current:
        raise Invalid(f"host {host_id} already has this flavor", code="same_flavor")
    if wanted["disk_gb"] < current["disk_gb"]:
        raise Invalid(f"flavor.disk_gb: disks only grow; host {host_id} has {current['disk_gb']} GiB",
                      code="shrink_not_supported")
    if svc.operations.active_for_host(host_id):
        raise Conflict(f"host {host_id} is busy with another operation", code="host_busy")
    return submit(svc, "resize_host", origin.keyed(f"resize:{host_id}:{uuid.uuid4()}"),
                  {"flavor": wanted, "from": current},
                  before_insert=_take_host(host_id, "active", "resizing"), host_id=host_id)


def _pending(svc: Services, host_id: str) -> dict:
    host = svc.hosts.get(host_id)
    resize = svc.operations.latest_for_host(host_id, "resize_host")
    if host["state"] != "verify_resize" or resize is None:
        raise Conflict(f"host {host_id} has no resize to confirm or revert (it is {host['state']})",
                       code="no_resize_pending", details={"state": host["state"]})
    return resize


def _replayed(svc: Services, kind: str, host_id: str, key: str | None) -> dict | None:
    """The confirm or revert a retry (the same key) already recorded, before the host's state,
    which that one changed, is checked; the key used for another request: 422."""
    existing = replay_request(svc, kind, key)
    if existing and existing["host_id"] != host_id:
        raise Invalid("Idempotency-Key was already used with a different request", code="idempotency_key_reused")
    return existing


def submit_confirm(svc: Services, host_id: str, origin: Origin) -> dict:
    existing = _replayed(svc, "confirm_resize", host_id, origin.key)
    if existing:
        return existing
    resize = _pending(svc, host_id)
    return submit(svc, "confirm_resize", origin.keyed(f"confirm:{resize['id']}:{uuid.uuid4()}"),
                  {"resize_operation": resize["id"]},
                  before_insert=_take_host(host_id, "verify_resize", "confirming"), host_id=host_id)


def submit_revert(svc: Services, host_id: str, origin: Origin) -> dict:
    """Back to the old vCPUs and memory; the disk keeps its grown size."""
    existing = _replayed(svc, "revert_resize", host_id, origin.key)
    if existing:
        return existing
    resize = _pending(svc, host_id)
    now, old = resize["params"]["flavor"], resize["params"]["from"]
    back = {**old, "disk_gb": now["disk_gb"]}
    return submit(svc, "revert_resize", origin.keyed(f"revert:{resize['id']}:{uuid.uuid4()}"),
                  {"flavor": back, "from": now, "resize_operation": resize["id"]},
                  before_insert=_take_host(host_id, "verify_resize", "reverting"), host_id=host_id)


def auto_confirm(svc: Services, older_than_s: int) -> list[str]:
    """Confirms every resize left in verify_resize for longer than older_than_s (as Nova's
    resize_confirm_window). Returns the hosts confirmed."""
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
    confirmed = []
    for host in svc.hosts.list():
        if host["state"] != "verify_resize":
            continue
        resize = svc.operations.latest_for_host(host["id"], "resize_host")
        finished = resize and resize["finished"] and datetime.fromisoformat(resize["finished"])
        if finished and finished <= cutoff:
            try:
                submit_confirm(svc, host["id"], Origin("auto-confirm", "hostflow"))
                confirmed.append(host["id"])
            except Conflict:
                continue
    return confirmed
