"""A DNS name's page (by record id or fqdn) and its Remove form. Only a `business` name
(registered by a user) can be removed here; a host's own name lives and goes with the
host. Removal is reviewed first, then submitted through the API's submit function."""
from __future__ import annotations

import uuid

from flask import abort, g, redirect, render_template, request, url_for

from api.auth import services
from api.origin import from_dashboard
from api.ui import queries
from api.ui.blueprint import bp, require_write
from infra.errors import Conflict, NotFound
from operations.dns import submit_remove
from operations.services import Services

HOST_KIND_NOTE = "a host's own name is removed when the host is reclaimed, not on its own"


def _record(ref: str) -> dict:
    """The record the identity may see (another project's host's name is a 404)."""
    return queries.dns_record(services(), g.identity, ref) or abort(404, f"no DNS name {ref}")


def _host(svc: Services, host_id: str) -> dict | None:
    try:
        return svc.hosts.get(host_id)
    except NotFound:
        return None


@bp.get("/dns/<ref>")
def dns_record(ref: str, errors: dict | None = None, status: int = 200):
    svc = services()
    record = _record(ref)
    return render_template("ui/dns_record.html", record=record, host=_host(svc, record["host_id"]), q=queries,
                           errors=errors or {}, host_kind_note=HOST_KIND_NOTE), status


@bp.post("/dns/<ref>/remove")
def remove_dns(ref: str):
    require_write()
    svc = services()
    record = _record(ref)
    if record["kind"] != "business":
        return dns_record(ref, errors={"remove": HOST_KIND_NOTE}, status=409)
    if request.form.get("action") != "confirm":
        host = _host(svc, record["host_id"])
        summary = {"Name": record["fqdn"], "Record": f"{record['type']} {record['value']}",
                   "Host": host["name"] if host else record["host_id"]}
        return render_template("ui/confirm.html", host=host, title=f"Remove {record['fqdn']}", plan=None,
                               summary=summary, destructive=True,
                               back_url=url_for("ui.dns_record", ref=record["id"]),
                               form_url=url_for("ui.remove_dns", ref=record["id"]),
                               fields={"key": str(uuid.uuid4())})
    try:
        op = submit_remove(svc, record["host_id"], record["fqdn"], from_dashboard(request.form.get("key")))
    except (Conflict, NotFound) as exc:
        return dns_record(ref, errors={"remove": exc.message}, status=409 if exc.status == 404 else exc.status)
    return redirect(url_for("ui.operation", op_id=op["id"]), code=303)
