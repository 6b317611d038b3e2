"""The read-only pages, and the fragments the live script polls."""
from __future__ import annotations

import uuid

from flask import g, render_template, request

from api.auth import services
from api.ui import queries
from api.ui.blueprint import bp, may_write
from infra.db.operations import TERMINAL
from operations import health
from operations.approvals import may_approve
from operations.image_access import only_seen, seen_image
from operations.power import fitting_actions
from operations.redaction import shown_operation
from operations.scoping import sees_for
from operations.services import Services

HOST_FILTERS = ("q", "env", "project", "state")


def _images(svc: Services) -> list[dict]:
    """Those the logged-in token may see (operations.image_access)."""
    return only_seen(svc.images.list(), sees_for(g.identity))


def _image_names(svc: Services) -> dict:
    return {i["id"]: i["name"] for i in _images(svc)}


@bp.get("/")
def overview():
    svc = services()
    return render_template("ui/overview.html", hypervisors=queries.hypervisors(svc),
                           envs=queries.counts_per_env(svc, g.identity), images=queries.image_counts(_images(svc)),
                           running=queries.running_operations(svc, g.identity),
                           health=health.report(svc, health.probes(svc.settings)))


@bp.get("/running")
def running_live():
    return render_template("ui/_running.html", running=queries.running_operations(services(), g.identity))


@bp.get("/hosts")
def hosts():
    svc = services()
    filters = {k: request.args.get(k, "").strip() for k in HOST_FILTERS}
    everything = queries.hosts(svc, g.identity)
    options = {k: sorted({h[k] for h in everything}) for k in ("env", "project", "state")}
    return render_template("ui/hosts.html", hosts=queries.hosts(svc, g.identity, filters), filters=filters,
                           options=options, images=_image_names(svc), q=queries)


@bp.get("/hosts/<host_id>")
def host(host_id: str, errors: dict | None = None, status: int = 200):
    svc = services()
    record = svc.hosts.get(host_id)
    page = render_template(
        "ui/host.html", host=record, volumes=svc.volumes.attached_to(host_id),
        attachable=queries.attachable_volumes(svc, g.identity, record),
        shares=queries.host_shares(svc, host_id), share_options=queries.attachable_shares(svc, record),
        names=queries.dns_names(svc, host_id), operations=queries.host_operations(svc, host_id),
        console=queries.console_tail(svc, record), images=_image_names(svc), q=queries,
        power_actions=fitting_actions(record), typed_envs=queries.TYPED_ENVS,
        errors=errors or {}, terminal=TERMINAL, form_key=str(uuid.uuid4()))
    return page, status


@bp.get("/operations")
def operations():
    return render_template("ui/operations.html", operations=queries.operations(services(), g.identity),
                           q=queries, terminal=TERMINAL)


@bp.get("/operations/live")
def operations_live():
    return render_template("ui/_operations_table.html", operations=queries.operations(services(), g.identity),
                           q=queries, terminal=TERMINAL)


def may_cancel(op: dict) -> bool:
    return may_write() and op["state"] not in TERMINAL and not op.get("cancel_requested")


def may_decide(op: dict) -> bool:
    return (may_write() and op["state"] == "awaiting_approval"
            and may_approve(services(), g.identity["role"], g.identity["name"]))


def _operation_context(op_id: str, errors: dict | None = None) -> dict:
    svc = services()
    op = shown_operation(svc.operations.get(op_id))  # never the chat response_url
    host = svc.hosts.get(op["host_id"]) if op["host_id"] else None
    volume = svc.volumes.get(op["volume_id"]) if op["volume_id"] else None
    return {"op": op, "host": host, "volume": volume, "q": queries, "terminal": TERMINAL,
            "flow_run_url": queries.flow_run_url(svc.settings, op), "may_cancel": may_cancel(op),
            "may_decide": may_decide(op), "errors": errors or {}}


@bp.get("/operations/<op_id>")
def operation(op_id: str, errors: dict | None = None, status: int = 200):
    return render_template("ui/operation.html", **_operation_context(op_id, errors)), status


@bp.get("/operations/<op_id>/live")
def operation_live(op_id: str):
    return render_template("ui/_operation_body.html", **_operation_context(op_id))


@bp.get("/volumes")
def volumes():
    svc = services()
    hosts = {h["id"]: h for h in queries.hosts(svc, g.identity)}
    return render_template("ui/volumes.html", volumes=queries.volumes(svc, g.identity), hosts=hosts, q=queries)


@bp.get("/volumes/<volume_id>")
def volume(volume_id: str):
    svc = services()
    record = svc.volumes.get(volume_id)
    host = svc.hosts.get(record["host_id"]) if record["host_id"] else None
    return render_template("ui/volume.html", volume=record, host=host, backups=svc.backups.list(volume_id),
                           operations=queries.volume_operations(svc, volume_id), q=queries, terminal=TERMINAL)


@bp.get("/images")
def images():
    return render_template("ui/images.html", images=_images(services()), q=queries)


@bp.get("/images/<image_id>")
def image(image_id: str):
    svc = services()
    record = seen_image(svc, image_id, sees_for(g.identity))
    used_by = [h for h in queries.hosts(svc, g.identity) if h["image"] == image_id]
    names = _image_names(svc)
    return render_template("ui/image.html", image=record, hosts=used_by, q=queries,
                           kernel=names.get(record["kernel_id"]), ramdisk=names.get(record["ramdisk_id"]))


@bp.get("/backups")
def backups():
    svc = services()
    volumes = {v["id"]: v for v in svc.volumes.list(include_deleted=True)}
    return render_template("ui/backups.html", backups=queries.backups(svc, g.identity), volumes=volumes, q=queries)


@bp.get("/networks")
def networks():
    return render_template("ui/networks.html", networks=services().networks.list(), q=queries)


@bp.get("/networks/<name>")
def network(name: str):
    return render_template("ui/network.html", network=services().networks.get(name), q=queries)


@bp.get("/dns")
def dns_records():
    svc = services()
    hosts = {h["id"]: h for h in queries.hosts(svc, g.identity)}
    return render_template("ui/dns.html", records=queries.dns_records(svc, g.identity), hosts=hosts)
