"""Attaching and detaching shares: checked against the records (4xx, nothing changed),
then recorded and queued like every operation."""
from __future__ import annotations

import uuid

from infra.db.shares import ShareStore
from infra.errors import Conflict, Invalid, NotFound
from operations.origin import Origin
from operations.record import replay, submit
from operations.services import Services


def _share(store: ShareStore, name: str, status_404: bool) -> dict:
    try:
        return store.get(name)
    except NotFound as exc:
        if status_404:
            raise
        raise Invalid(exc.message, code="unknown_share") from exc


def _check_host(svc: Services, host: dict) -> None:
    if host["state"] != "active" or svc.operations.active_for_host(host["id"]):
        raise Conflict(f"host {host['id']} is {host['state']} or busy with another operation", code="host_busy")


def submit_attach_share(svc: Services, host_id: str, name: str, origin: Origin) -> dict:
    """An unknown share named in the body: 422 unknown_share."""
    params = {"host_id": host_id, "share": name}
    existing = replay(svc, "attach_share", origin.key, params)
    if existing:
        return existing
    store = svc.shares
    host, share = svc.hosts.get(host_id), _share(store, name, status_404=False)
    if share["env"] != host["env"]:
        raise Invalid(f"share {name} belongs to environment {share['env']}, host {host_id} to {host['env']}",
                      code="share_other_env")
    if any(s["name"] == name for s in store.for_host(host_id)):
        raise Conflict(f"share {name} is already attached to host {host_id}", code="share_already_attached")
    _check_host(svc, host)
    return submit(svc, "attach_share", origin.keyed(f"attach-share:{host_id}:{uuid.uuid4()}"), params,
                  host_id=host_id)


def submit_detach_share(svc: Services, host_id: str, name: str, origin: Origin) -> dict:
    """An unknown share named in the path: 404 unknown_share."""
    params = {"host_id": host_id, "share": name}
    existing = replay(svc, "detach_share", origin.key, params)
    if existing:
        return existing
    store = svc.shares
    host = svc.hosts.get(host_id)
    _share(store, name, status_404=True)
    if not any(s["name"] == name for s in store.for_host(host_id)):
        raise Conflict(f"share {name} is not attached to host {host_id}", code="share_not_attached")
    _check_host(svc, host)
    return submit(svc, "detach_share", origin.keyed(f"detach-share:{host_id}:{uuid.uuid4()}"), params,
                  host_id=host_id)
