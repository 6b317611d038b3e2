"""The changing calls a chat command makes, each through the same validation and submit
function as its REST route, on a host or volume the chat user may see. Every operation
they record carries the chat's reply_to (in the transaction that records it), so its
end is posted back to the command's response_url."""
from __future__ import annotations

from operations.dns import submit_register
from operations.hosts import submit_allocate, submit_reclaim
from operations.requests import (
    AttachVolume,
    CreateVolume,
    RebuildHost,
    RegisterName,
    ResizeHost,
    SnapshotHost,
    flavor_limits,
    refuse_out_of_range,
    size_limit,
    validate_allocate,
)
from operations.resize import submit_confirm, submit_resize, submit_revert
from operations.snapshots import submit_rebuild, submit_snapshot
from operations.volumes import submit_attach, submit_create_volume, submit_detach


class _Operations:
    """svc.operations whose `create` records the chat's reply_to."""

    def __init__(self, operations, reply_to: dict | None):
        self._operations, self._reply_to = operations, reply_to

    def create(self, *args, **kwargs):
        kwargs["reply_to"] = kwargs.get("reply_to") or self._reply_to
        return self._operations.create(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._operations, name)


class _Services:
    def __init__(self, svc, reply_to: dict | None):
        self._svc, self.operations = svc, _Operations(svc.operations, reply_to)

    def __getattr__(self, name: str):
        return getattr(self._svc, name)


def _svc(client):
    return _Services(client.svc, client.reply_to)


def _on_host(op: dict, host_id: str) -> dict:
    return {"operation": op, "host": {"id": host_id}}


def allocate(client, body: dict) -> dict:
    request = validate_allocate(body, client.svc.settings)
    client.may_create_in(request.project)
    op, _ = submit_allocate(_svc(client), request, **client.who())
    return _on_host(op, op["host_id"])


def reclaim(client, body: dict, host_id: str) -> dict:
    client.host(host_id)
    op, _ = submit_reclaim(_svc(client), host_id, **client.who())
    return _on_host(op, host_id)


def resize(client, body: dict, host_id: str) -> dict:
    client.host(host_id)
    request = ResizeHost.model_validate(body)
    refuse_out_of_range(flavor_limits(request.flavor, client.svc.settings))
    return _on_host(submit_resize(_svc(client), host_id, request, **client.who()), host_id)


def confirm(client, body: dict, host_id: str) -> dict:
    client.host(host_id)
    who = client.who()
    return _on_host(submit_confirm(_svc(client), host_id, who["source"], who["requester"]), host_id)


def revert(client, body: dict, host_id: str) -> dict:
    client.host(host_id)
    who = client.who()
    return _on_host(submit_revert(_svc(client), host_id, who["source"], who["requester"]), host_id)


def create_volume(client, body: dict) -> dict:
    request = CreateVolume.model_validate(body)
    refuse_out_of_range(size_limit(request.size_gb, client.svc.settings))
    client.may_create_in(request.project)
    op = submit_create_volume(_svc(client), request, **client.who())
    return {"operation": op, "volume": {"id": op["volume_id"]}}


def attach(client, body: dict, host_id: str) -> dict:
    client.host(host_id)
    request = AttachVolume.model_validate(body)
    client.volume(request.volume_id)
    op = submit_attach(_svc(client), host_id, request.volume_id, **client.who())
    return {**_on_host(op, host_id), "volume": {"id": op["volume_id"]}}


def detach(client, body: dict, host_id: str, volume_id: str) -> dict:
    client.host(host_id)
    client.volume(volume_id)
    op = submit_detach(_svc(client), host_id, volume_id, **client.who())
    return {**_on_host(op, host_id), "volume": {"id": volume_id}}


def rebuild(client, body: dict, host_id: str) -> dict:
    client.host(host_id)
    op = submit_rebuild(_svc(client), host_id, RebuildHost.model_validate(body), **client.who())
    return {**_on_host(op, host_id), "image": {"id": op["params"]["image_id"]}}


def snapshot(client, body: dict, host_id: str) -> dict:
    client.host(host_id)
    op = submit_snapshot(_svc(client), host_id, SnapshotHost.model_validate(body), **client.who())
    return {**_on_host(op, host_id), "image": {"id": op["params"]["image_id"]}}


def register_name(client, body: dict, host_id: str) -> dict:
    client.host(host_id)
    op = submit_register(_svc(client), host_id, RegisterName.model_validate(body), **client.who())
    return {**_on_host(op, host_id), "fqdn": op["params"]["fqdn"]}
