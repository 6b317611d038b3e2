"""Shares: recording them (admins), and attaching and detaching them: checked against the
records (4xx, nothing changed), then recorded and queued like every operation.

A share belongs to a project and an environment: a host attaches only its own project's
shares of its own environment. Another project's share is, to a host and to an operator
token, exactly the unknown share a name nobody recorded is (`unknown_share`)."""
from __future__ import annotations

import uuid

from infra.errors import Conflict, Invalid, NotFound
from operations.bootstrap import share_driver
from operations.origin import Origin
from operations.power import refuse_suspended
from operations.record import replay, submit
from operations.scoping import visible
from operations.services import Services
from operations.share_requests import CreateShare

# measured with libvirt 9.0.0 (Debian 12): defining a domain whose virtiofs <filesystem> has
# <readonly/> fails "unsupported configuration: virtiofs does not yet support read-only mode"
READ_ONLY_VIRTIOFS = ("a read-only share cannot be passed through with virtiofs, this deployment's share driver: "
                      "libvirt refuses it (\"virtiofs does not yet support read-only mode\"); use mode nfs, "
                      "a read-write share, or HOSTFLOW_SHARE_DRIVER=9p")


def _unknown(name: str) -> NotFound:
    return NotFound(f"share {name!r} not found", code="unknown_share")


def check_driver(svc: Services, share: dict) -> None:
    """422 read_only_virtiofs_unsupported: a read-only passthrough share where the share
    driver (HOSTFLOW_SHARE_DRIVER; `auto`: virtiofs where virtiofsd is installed) is virtiofs."""
    if share["mode"] == "passthrough" and share["read_only"] and share_driver(svc.settings) == "virtiofs":
        raise Invalid(READ_ONLY_VIRTIOFS, code="read_only_virtiofs_unsupported",
                      details={"share": share["name"], "driver": "virtiofs"})


def record_share(svc: Services, body: CreateShare) -> dict:
    """An admin records a share (`project` "default" unless named)."""
    values = body.record(svc.settings.share_root_paths())
    check_driver(svc, values)
    return svc.shares.create(values)


def visible_share(svc: Services, name: str, identity: dict) -> dict:
    """404 unknown_share for a share of a project the token does not see."""
    share = svc.shares.get(name)
    if not visible(identity, share["project"]):
        raise _unknown(name)
    return share


def host_share(svc: Services, host: dict, name: str) -> dict:
    """The share named, if it is the host's project's: else 404 unknown_share, as an unknown one."""
    share = svc.shares.get(name)
    if share["project"] != host["project"]:
        raise _unknown(name)
    return share


def check_attach(svc: Services, host: dict, name: str) -> dict:
    """The share the host may attach: unknown or another project's 422 unknown_share (the
    body names it), another environment's 422 share_other_env, attached already 409
    share_already_attached, a read-only one over virtiofs 422 read_only_virtiofs_unsupported."""
    try:
        share = host_share(svc, host, name)
    except NotFound as exc:
        raise Invalid(exc.message, code="unknown_share") from exc
    if share["env"] != host["env"]:
        raise Invalid(f"share {name} belongs to environment {share['env']}, host {host['id']} to {host['env']}",
                      code="share_other_env")
    if any(s["name"] == name for s in svc.shares.for_host(host["id"])):
        raise Conflict(f"share {name} is already attached to host {host['id']}", code="share_already_attached")
    check_driver(svc, share)
    return share


def check_detach(svc: Services, host: dict, name: str) -> dict:
    """The attached share: an attached one always detaches; else unknown or another
    project's 404 unknown_share (the path names it), not attached 409 share_not_attached."""
    attached = {s["name"]: s for s in svc.shares.for_host(host["id"])}
    if name in attached:
        return attached[name]
    host_share(svc, host, name)
    raise Conflict(f"share {name} is not attached to host {host['id']}", code="share_not_attached")


def _check_host(svc: Services, host: dict, what: str) -> None:
    if host["state"] != "active" or svc.operations.active_for_host(host["id"]):
        raise Conflict(f"host {host['id']} is {host['state']} or busy with another operation", code="host_busy")
    refuse_suspended(host, what)


def submit_attach_share(svc: Services, host_id: str, name: str, origin: Origin) -> dict:
    """An unknown share, or another project's, named in the body: 422 unknown_share."""
    params = {"host_id": host_id, "share": name}
    existing = replay(svc, "attach_share", origin.key, params)
    if existing:
        return existing
    host = svc.hosts.get(host_id)
    check_attach(svc, host, name)
    _check_host(svc, host, "attach a share to")
    return submit(svc, "attach_share", origin.keyed(f"attach-share:{host_id}:{uuid.uuid4()}"), params,
                  host_id=host_id)


def submit_detach_share(svc: Services, host_id: str, name: str, origin: Origin) -> dict:
    """An unknown share, or another project's not attached, named in the path: 404 unknown_share."""
    params = {"host_id": host_id, "share": name}
    existing = replay(svc, "detach_share", origin.key, params)
    if existing:
        return existing
    host = svc.hosts.get(host_id)
    check_detach(svc, host, name)
    _check_host(svc, host, "detach a share from")
    return submit(svc, "detach_share", origin.keyed(f"detach-share:{host_id}:{uuid.uuid4()}"), params,
                  host_id=host_id)
