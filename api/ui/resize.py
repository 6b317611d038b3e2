"""Resize from the host page: the new flavor is checked with the API's own schema and
limits, shown next to the current one before anything is recorded, and submitted through
the API's submit function. A resized host waits in `verify_resize` for Confirm or Revert."""
from __future__ import annotations

import uuid

from flask import redirect, render_template, request, url_for
from pydantic import ValidationError

from api.auth import services
from api.origin import from_dashboard
from api.request_body import whole_number
from api.ui.blueprint import bp, require_write
from api.ui.pages import host as host_page
from infra.errors import Conflict, Invalid
from operations.requests import ResizeHost, flavor_limits
from operations.resize import submit_confirm, submit_resize, submit_revert

FLAVOR_FIELDS = ("vcpus", "ram_mb", "disk_gb")
LABELS = {"vcpus": "vCPUs", "ram_mb": "RAM (MiB)", "disk_gb": "Disk (GiB)"}
# API error codes that belong to one field of the form
FIELD_OF_CODE = {"shrink_not_supported": "disk_gb"}


def field_id(name: str) -> str:
    return f"resize-{name}"


def validate(form, settings) -> tuple[ResizeHost | None, dict]:
    """(the ResizeHost body, {}) or (None, {field: message}) by the API's rules."""
    errors, flavor = {}, {}
    for name in FLAVOR_FIELDS:
        value = form.get(name, "").strip()
        number = whole_number(value)
        if number is None:
            errors[name] = "must be a whole number"
        flavor[name] = 1 if number is None else number
    try:
        body = ResizeHost.model_validate({"flavor": flavor})
    except ValidationError as exc:
        return None, {**{str(e["loc"][-1]): e["msg"] for e in reversed(exc.errors())}, **errors}
    for e in flavor_limits(body.flavor, settings):
        errors.setdefault(e["loc"][-1], e["msg"])
    return (None, errors) if errors else (body, {})


def _refused(host_id: str, errors: dict, status: int):
    return host_page(host_id, errors={field_id(k): v for k, v in errors.items()}, status=status)


def _done(op: dict):
    return redirect(url_for("ui.operation", op_id=op["id"]), code=303)


@bp.post("/hosts/<host_id>/resize")
def resize(host_id: str):
    require_write()
    svc = services()
    host = svc.hosts.get(host_id)
    body, errors = validate(request.form, svc.settings)
    if errors:
        return _refused(host_id, errors, 422)
    if request.form.get("action") != "confirm":
        wanted = body.flavor.model_dump()
        summary = {LABELS[k]: f"{host['flavor'][k]} → {wanted[k]}" for k in FLAVOR_FIELDS}
        return render_template("ui/confirm.html", host=host, title=f"Resize {host['name']}", plan=None,
                               summary=summary, form_url=url_for("ui.resize", host_id=host_id),
                               fields={**{k: wanted[k] for k in FLAVOR_FIELDS}, "key": str(uuid.uuid4())})
    try:
        op = submit_resize(svc, host_id, body, from_dashboard(request.form.get("key")))
    except (Conflict, Invalid) as exc:
        return _refused(host_id, {FIELD_OF_CODE.get(exc.code, "form"): exc.message}, exc.status)
    return _done(op)


def _answer(host_id: str, submit):
    """Confirm or revert, under the key the host page rendered into its form (a double
    submit is one operation; the other button then: 409 or 422 idempotency_key_reused)."""
    require_write()
    try:
        op = submit(services(), host_id, from_dashboard(request.form.get("key")))
    except (Conflict, Invalid) as exc:
        return _refused(host_id, {"form": exc.message}, exc.status)
    return _done(op)


@bp.post("/hosts/<host_id>/resize/confirm")
def resize_confirm(host_id: str):
    return _answer(host_id, submit_confirm)


@bp.post("/hosts/<host_id>/resize/revert")
def resize_revert(host_id: str):
    return _answer(host_id, submit_revert)
