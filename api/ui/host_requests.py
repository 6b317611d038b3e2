"""Snapshot, rebuild and register-a-name forms on the host page. The API has no dry run
for these, so the confirm page shows the request as it will be recorded; the body is
checked with the API's own schema, and submitted through the API's submit functions."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, redirect, render_template, request, url_for
from pydantic import BaseModel, ValidationError

from api.auth import services
from api.origin import from_dashboard
from api.request_body import whole_number
from api.ui.blueprint import bp, require_write
from api.ui.pages import host as host_page
from infra.errors import Conflict, Invalid
from operations.dns import submit_register
from operations.requests import RebuildHost, RegisterName, SnapshotHost
from operations.snapshots import submit_rebuild, submit_snapshot


@dataclass(frozen=True)
class HostRequest:
    title: str
    schema: type[BaseModel]
    fields: tuple[str, ...]
    submit: Callable
    destructive: bool = False  # asks for the host's name typed in
    numbers: tuple[str, ...] = ()  # fields sent as whole numbers; left empty: not sent


REQUESTS = {
    "snapshot": HostRequest("Snapshot", SnapshotHost, ("name",), submit_snapshot),
    "rebuild": HostRequest("Rebuild", RebuildHost, ("image",), submit_rebuild, destructive=True),
    "dns": HostRequest("Register a DNS name", RegisterName, ("fqdn", "type", "ttl"), submit_register,
                        numbers=("ttl",)),
}


def field_id(action: str, field: str) -> str:
    return f"{action}-{field}"


def _raw(spec: HostRequest, form) -> tuple[dict, dict]:
    raw, errors = {}, {}
    for name in spec.fields:
        value = form.get(name, "").strip()
        if name in spec.numbers:
            if value and whole_number(value) is None:
                errors[name] = "must be a whole number"
            elif value:
                raw[name] = whole_number(value)
        else:
            raw[name] = value
    return raw, errors


def _validated(spec: HostRequest, form) -> tuple[BaseModel | None, dict]:
    raw, errors = _raw(spec, form)
    try:
        body = spec.schema.model_validate(raw)
    except ValidationError as exc:
        found = {str(e["loc"][-1]) if e["loc"] else spec.fields[0]: e["msg"] for e in reversed(exc.errors())}
        return None, {**found, **errors}
    return (None, errors) if errors else (body, {})


def _refused(host_id: str, action: str, errors: dict, status: int):
    return host_page(host_id, errors={field_id(action, k): v for k, v in errors.items()}, status=status)


@bp.post("/hosts/<host_id>/request/<action>")
def host_request(host_id: str, action: str):
    require_write()
    spec = REQUESTS.get(action) or abort(404)
    svc = services()
    host = svc.hosts.get(host_id)
    body, errors = _validated(spec, request.form)
    if spec.destructive and request.form.get("confirm_name", "").strip() != host["name"]:
        errors["confirm_name"] = f"type the host's name, {host['name']}, to confirm"
    if errors:
        return _refused(host_id, action, errors, 422)
    if request.form.get("action") != "confirm":
        values = {k: request.form.get(k, "") for k in (*spec.fields, "confirm_name") if k in request.form}
        return render_template("ui/confirm.html", host=host, title=f"{spec.title}: {host['name']}", plan=None,
                               summary=body.model_dump(exclude_none=True),
                               form_url=url_for("ui.host_request", host_id=host_id, action=action),
                               fields={**values, "key": str(uuid.uuid4())}, destructive=spec.destructive)
    try:
        op = spec.submit(svc, host_id, body, from_dashboard(request.form.get("key")))
    except (Conflict, Invalid) as exc:
        return _refused(host_id, action, {spec.fields[0]: exc.message}, exc.status)
    return redirect(url_for("ui.operation", op_id=op["id"]), code=303)
