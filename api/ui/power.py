"""The host page's power actions: each shows its dry-run plan first and is submitted only
once confirmed, through the API's own submit function. A `stop` or `reboot` of a host in
a confirmed environment (`prod`) needs the host's name typed in."""
from __future__ import annotations

import uuid

from flask import redirect, render_template, request, url_for

from api.auth import services
from api.origin import from_dashboard
from api.ui.blueprint import bp, require_write
from api.ui.pages import host as host_page
from api.ui.queries import TYPED_ENVS
from infra.errors import Conflict, HostflowError
from operations.power import plan_action, submit_action
from operations.requests import HostAction

TYPED_ACTIONS = frozenset({"stop", "reboot"})


def needs_typed_name(host: dict, action: str) -> bool:
    return host["env"] in TYPED_ENVS and action in TYPED_ACTIONS


@bp.post("/hosts/<host_id>/power")
def power(host_id: str):
    require_write()
    svc = services()
    host = svc.hosts.get(host_id)
    try:
        body = HostAction.model_validate({"action": request.form.get("power", ""),
                                          "force": request.form.get("force") == "true"})
    except (HostflowError, ValueError):
        return host_page(host_id, errors={"power": "choose one of the power actions shown"}, status=422)
    typed = request.form.get("confirm_name", "").strip()
    if needs_typed_name(host, body.action) and typed != host["name"]:
        return host_page(host_id, errors={"power": f"type the host's name, {host['name']}, to {body.action} it"},
                         status=422)
    try:
        if request.form.get("action") != "confirm":
            fields = {"power": body.action, "force": "true" if body.force else "", "confirm_name": typed,
                      "key": str(uuid.uuid4())}
            return render_template("ui/confirm.html", host=host, title=f"{body.action.capitalize()} {host['name']}",
                                   plan=plan_action(svc, host_id, body), destructive=body.action in TYPED_ACTIONS,
                                   form_url=url_for("ui.power", host_id=host_id), fields=fields)
        op = submit_action(svc, host_id, body, from_dashboard(request.form.get("key") or None))
    except Conflict as exc:
        return host_page(host_id, errors={"power": exc.message}, status=409)
    return redirect(url_for("ui.operation", op_id=op["id"]), code=303)
