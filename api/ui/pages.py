"""The read-only pages, and the fragments the live script polls."""
from __future__ import annotations

from flask import g, render_template, request

from api.auth import services
from api.ui import queries
from api.ui.blueprint import bp
from infra.db.operations import TERMINAL

HOST_FILTERS = ("q", "env", "project", "state")


def _image_names(svc) -> dict:
    return {i["id"]: i["name"] for i in svc.images.list()}


@bp.get("/")
def overview():
    svc = services()
    return render_template("ui/overview.html", hypervisors=queries.hypervisors(svc),
                           envs=queries.counts_per_env(svc, g.identity), images=queries.image_counts(svc),
                           running=queries.running_operations(svc, g.identity))


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
        names=queries.dns_names(svc, host_id), operations=queries.host_operations(svc, host_id),
        console=queries.console_tail(svc, record), images=_image_names(svc), q=queries,
        errors=errors or {}, terminal=TERMINAL)
    return page, status


@bp.get("/operations")
def operations():
    return render_template("ui/operations.html", operations=queries.operations(services(), g.identity),
                           q=queries, terminal=TERMINAL)


@bp.get("/operations/live")
def operations_live():
    return render_template("ui/_operations_table.html", operations=queries.operations(services(), g.identity),
                           q=queries, terminal=TERMINAL)


def _operation_context(op_id: str) -> dict:
    svc = services()
    op = svc.operations.get(op_id)
    host = svc.hosts.get(op["host_id"]) if op["host_id"] else None
    return {"op": op, "host": host, "q": queries, "terminal": TERMINAL,
            "flow_run_url": queries.flow_run_url(svc.settings, op)}


@bp.get("/operations/<op_id>")
def operation(op_id: str):
    return render_template("ui/operation.html", **_operation_context(op_id))


@bp.get("/operations/<op_id>/live")
def operation_live(op_id: str):
    return render_template("ui/_operation_body.html", **_operation_context(op_id))


@bp.get("/volumes")
def volumes():
    svc = services()
    hosts = {h["id"]: h for h in queries.hosts(svc, g.identity)}
    return render_template("ui/volumes.html", volumes=queries.volumes(svc, g.identity), hosts=hosts, q=queries)


@bp.get("/images")
def images():
    return render_template("ui/images.html", images=services().images.list(), q=queries)
