"""Allocate: the dry-run plan first, then confirm. Validation is the API's own
(`validate_allocate`), and so is the submit path."""
from __future__ import annotations

import uuid

from flask import g, redirect, render_template, request, url_for
from pydantic import ValidationError

from api.auth import services
from api.origin import from_dashboard
from api.request_body import whole_number
from api.ui.blueprint import bp, require_write
from infra.errors import Conflict, Invalid
from operations.hosts import plan_allocate, submit_allocate
from operations.image_access import only_seen
from operations.requests import validate_allocate
from operations.scoping import sees_for, visible

ALLOCATE_FIELDS = ("name", "env", "image", "project", "vcpus", "ram_mb", "disk_gb")
FLAVOR_FIELDS = ("vcpus", "ram_mb", "disk_gb")
# API error codes that belong to one field of the form
FIELD_OF_CODE = {"unknown_image": "image", "image_not_active": "image", "image_name_ambiguous": "image",
                 "name_in_use": "name"}


def _allocate_raw(form: dict) -> tuple[dict, dict]:
    """The API body the form stands for, and the errors of flavor fields that are not whole
    numbers (1 stands in for them, so the other fields are still checked)."""
    errors, flavor = {}, {}
    for name in FLAVOR_FIELDS:
        value = form.get(name, "").strip()
        number = whole_number(value)
        flavor[name] = 1 if number is None else number
        if number is None:
            errors[name] = "must be a whole number"
    raw = {k: form.get(k, "").strip() for k in ("name", "env", "image", "project")}
    return {**raw, "flavor": flavor}, errors


def _field(loc) -> str:
    return str(loc[-1]) if loc else "form"


def _api_errors(raw: dict, settings):
    """(the AllocateHost body or None, {field: message}) by the API's own rules."""
    try:
        return validate_allocate(raw, settings), {}
    except ValidationError as exc:
        return None, {_field(e["loc"]): e["msg"] for e in reversed(exc.errors())}
    except Invalid as exc:
        found = {_field(e["loc"]): e["msg"] for e in reversed((exc.details or {}).get("errors", []))}
        return None, found or {"form": exc.message}


def validate(form: dict, settings, identity: dict):
    """(the AllocateHost body, {}) or (None, {field: message})."""
    raw, errors = _allocate_raw(form)
    body, api_errors = _api_errors(raw, settings)
    errors = {**api_errors, **errors}
    if body is not None and not visible(identity, body.project):
        errors["project"] = f"this token may not create in project {body.project!r}"
    return (None, errors) if errors else (body, {})


def _allocate_form(values: dict, errors: dict | None = None, plan: dict | None = None, status: int = 200):
    svc = services()
    images = [i for i in only_seen(svc.images.list(), sees_for(g.identity)) if i["status"] == "active"]
    return render_template("ui/allocate.html", values=values, errors=errors or {}, plan=plan,
                           images=images, key=values.get("key") or str(uuid.uuid4())), status


DEFAULTS = {"project": "default", "vcpus": "1", "ram_mb": "256", "disk_gb": "1"}


@bp.get("/hosts/new")
def allocate():
    require_write()
    return _allocate_form(dict(DEFAULTS))


@bp.post("/hosts/new")
def allocate_submit():
    require_write()
    svc = services()
    values = {k: request.form.get(k, "") for k in (*ALLOCATE_FIELDS, "key")}
    body, errors = validate(request.form, svc.settings, g.identity)
    if errors:
        return _allocate_form(values, errors, status=422)
    try:
        if request.form.get("action") != "confirm":
            return _allocate_form(values, plan=plan_allocate(svc, body, sees_for(g.identity)))
        op, _ = submit_allocate(svc, body, from_dashboard(values["key"]))
    except (Conflict, Invalid) as exc:
        return _allocate_form(values, {FIELD_OF_CODE.get(exc.code, "form"): exc.message}, status=exc.status)
    return redirect(url_for("ui.operation", op_id=op["id"]), code=303)
