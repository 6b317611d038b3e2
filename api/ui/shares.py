"""Attach and detach shares (the host's project's, of its environment) from the host
page. The API has no dry run for these, so the confirm page shows the request; it is
checked and submitted by the API's own submit functions."""
from __future__ import annotations

import uuid

from flask import redirect, render_template, request, url_for

from api.auth import services
from api.origin import from_dashboard
from api.ui.blueprint import bp, require_write
from api.ui.pages import host as host_page
from infra.errors import Conflict, Invalid, NotFound
from operations.services import Services
from operations.shares import check_attach, check_detach, submit_attach_share, submit_detach_share

ACTIONS = {
    "attach": ("Attach share", submit_attach_share, "share"),
    "detach": ("Detach share", submit_detach_share, "share-detach"),
}


def _share_request(host_id: str, action: str):
    require_write()
    title, submit, field = ACTIONS[action]
    svc = services()
    host = svc.hosts.get(host_id)
    name = request.form.get("share", "").strip()
    if not name:
        return host_page(host_id, errors={field: "choose a share"}, status=422)
    key = request.form.get("key") or None
    try:
        if request.form.get("action") != "confirm":
            return _review(svc, host, action, title, name)
        op = submit(svc, host_id, name, from_dashboard(key))
    except (Conflict, Invalid, NotFound) as exc:
        return host_page(host_id, errors={field: exc.message}, status=422 if exc.status == 404 else exc.status)
    return redirect(url_for("ui.operation", op_id=op["id"]), code=303)


def _review(svc: Services, host: dict, action: str, title: str, name: str):
    """The confirm page, when the request would be accepted now (else the check's error,
    the same the submit functions give)."""
    share = check_attach(svc, host, name) if action == "attach" else check_detach(svc, host, name)
    summary = {"Share": name, "Source": share["source"], "Mount point": share["mount_point"],
               "Access": "read-only" if share["read_only"] else "read-write", "Host": host["name"]}
    return render_template("ui/confirm.html", host=host, title=f"{title} {name}: {host['name']}", plan=None,
                           summary=summary, destructive=action == "detach",
                           form_url=url_for(f"ui.{action}_share", host_id=host["id"]),
                           fields={"share": name, "key": str(uuid.uuid4())})


@bp.post("/hosts/<host_id>/shares/attach")
def attach_share(host_id: str):
    return _share_request(host_id, "attach")


@bp.post("/hosts/<host_id>/shares/detach")
def detach_share(host_id: str):
    return _share_request(host_id, "detach")
