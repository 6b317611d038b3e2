"""What the host page can do to its host: reclaim (its name typed in), attach and detach
a volume. Each shows its dry-run plan first; only the confirm button submits, through
the API's own submit functions."""
from __future__ import annotations

import uuid

from flask import g, redirect, render_template, request, url_for

from api.auth import services
from api.origin import from_dashboard
from api.ui.blueprint import bp, require_write
from api.ui.pages import host as host_page
from infra.errors import Conflict, NotFound
from operations.hosts import submit_reclaim
from operations.scoping import visible
from operations.services import Services
from operations.volumes import submit_attach, submit_detach


def _confirm_page(host: dict, action: str, title: str, plan: dict, fields: dict):
    return render_template("ui/confirm.html", host=host, title=title, plan=plan, destructive=action == "reclaim",
                           form_url=url_for(f"ui.{action}", host_id=host["id"]),
                           fields={**fields, "key": request.form.get("key") or str(uuid.uuid4())})


def _done(op: dict):
    return redirect(url_for("ui.operation", op_id=op["id"]), code=303)


def _confirmed() -> bool:
    return request.form.get("action") == "confirm"


def _key() -> str | None:
    return request.form.get("key") or None


@bp.post("/hosts/<host_id>/reclaim")
def reclaim(host_id: str):
    require_write()
    svc = services()
    host = svc.hosts.get(host_id)
    typed = request.form.get("confirm_name", "").strip()
    if typed != host["name"]:
        return host_page(host_id, errors={"confirm_name": f"type the host's name, {host['name']}, to reclaim it"},
                         status=422)
    try:
        if not _confirmed():
            return _confirm_page(host, "reclaim", f"Reclaim {host['name']}", svc.planner.reclaim(host),
                                 {"confirm_name": typed})
        op, _ = submit_reclaim(svc, host_id, from_dashboard(_key()))
    except Conflict as exc:
        return host_page(host_id, errors={"confirm_name": exc.message}, status=409)
    return _done(op)


def _own_volume(svc: Services, volume_id: str) -> dict | None:
    """The volume, if this identity may see it (another project's is as unknown as a missing one)."""
    try:
        volume = svc.volumes.get(volume_id)
    except NotFound:
        return None
    return volume if visible(g.identity, volume["project"]) else None


@bp.post("/hosts/<host_id>/attach")
def attach(host_id: str):
    return _volume_action(host_id, submit_attach, "attach", "volume_id", "Attach {volume} to {host}")


@bp.post("/hosts/<host_id>/detach")
def detach(host_id: str):
    return _volume_action(host_id, submit_detach, "detach", "detach", "Detach {volume} from {host}")


def _volume_action(host_id: str, submit, action: str, field: str, title: str):
    """Attach or detach: the volume must be the token's (and, to detach, on this host);
    the plan first, then the operation once confirmed."""
    require_write()
    svc = services()
    host = svc.hosts.get(host_id)
    volume = _own_volume(svc, request.form.get("volume_id", ""))
    if volume is None or (action == "detach" and volume["host_id"] != host_id):
        problem = "choose one of the available volumes" if action == "attach" else \
            "that volume is not attached to this host"
        return host_page(host_id, errors={field: problem}, status=422)
    try:
        if not _confirmed():
            plan = submit(svc, host_id, volume["id"], from_dashboard(), dry_run=True)
            return _confirm_page(host, action, title.format(volume=volume["name"], host=host["name"]), plan,
                                 {"volume_id": volume["id"]})
        op = submit(svc, host_id, volume["id"], from_dashboard(_key()))
    except Conflict as exc:
        return host_page(host_id, errors={field: exc.message}, status=409)
    return _done(op)
