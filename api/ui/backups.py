"""A backup's page and its Restore form: onto a new volume or an `available` one. The
body is checked with the API's schema, shown before anything is recorded, and submitted
through the API's submit function. The page is scoped like GET /v1/backups/<id> (the
`backup_id` in the path: another project's backup is a 404)."""
from __future__ import annotations

import uuid

from flask import g, redirect, render_template, request, url_for
from pydantic import ValidationError

from api.auth import services
from api.origin import from_dashboard
from api.ui import queries
from api.ui.blueprint import bp, require_write
from infra.db.operations import TERMINAL
from infra.errors import Conflict, Invalid, NoCapacity, NotFound
from operations.backups import submit_restore
from operations.requests import RestoreBackup
from operations.services import Services

FIELDS = ("volume_id", "name", "hypervisor")
# API error codes that belong to one field of the form
FIELD_OF_CODE = {"volume_in_use": "volume_id", "volume_too_small": "volume_id", "no_capacity": "hypervisor",
                 "volume_not_found": "volume_id"}


def field_id(name: str) -> str:
    return f"restore-{name}"


@bp.get("/backups/<backup_id>")
def backup(backup_id: str, errors: dict | None = None, status: int = 200):
    svc = services()
    record = svc.backups.get(backup_id)
    volume = svc.volumes.get(record["volume_id"])
    page = render_template("ui/backup.html", backup=record, volume=volume, parent=_parent(svc, record),
                           targets=queries.restore_targets(svc, g.identity, record),
                           operations=queries.backup_operations(svc, backup_id), q=queries, terminal=TERMINAL,
                           errors={field_id(k): v for k, v in (errors or {}).items()})
    return page, status


def _parent(svc: Services, record: dict) -> dict | None:
    try:
        return svc.backups.get(record["parent_id"]) if record["parent_id"] else None
    except NotFound:
        return None


def validate(form, identity: dict, targets: list[dict]) -> tuple[RestoreBackup | None, dict]:
    """(the RestoreBackup body, {}) or (None, {field: message}); an existing target must be
    one of the volumes offered (another project's is as unknown as a missing one)."""
    raw = {k: form.get(k, "").strip() or None for k in FIELDS}
    try:
        body = RestoreBackup.model_validate(raw)
    except ValidationError as exc:
        return None, {str(e["loc"][-1]) if e["loc"] else "form": e["msg"] for e in reversed(exc.errors())}
    if body.volume_id and body.volume_id not in {v["id"] for v in targets}:
        return None, {"volume_id": "choose a new volume or one of the available volumes it fits on"}
    return body, {}


@bp.post("/backups/<backup_id>/restore")
def restore(backup_id: str):
    require_write()
    svc = services()
    record = svc.backups.get(backup_id)
    body, errors = validate(request.form, g.identity, queries.restore_targets(svc, g.identity, record))
    if errors:
        return backup(backup_id, errors=errors, status=422)
    if request.form.get("action") != "confirm":
        return _review(svc, record, body)
    try:
        op = submit_restore(svc, backup_id, body, from_dashboard(request.form.get("key")))
    except (Conflict, Invalid, NoCapacity) as exc:
        return backup(backup_id, errors={FIELD_OF_CODE.get(exc.code, "form"): exc.message}, status=exc.status)
    return redirect(url_for("ui.operation", op_id=op["id"]), code=303)


def _review(svc: Services, record: dict, body: RestoreBackup):
    if record["state"] != "available":
        return backup(record["id"], errors={"form": f"the backup is {record['state']}; only an available "
                                                    "backup can be restored"}, status=409)
    if body.volume_id:
        target = svc.volumes.get(body.volume_id)
        summary = {"Backup": record["name"], "Onto": f"{target['name']} (its data is overwritten)"}
    else:
        summary = {"Backup": record["name"], "Onto": f"a new {record['size_gb']} GiB volume",
                   "Name": body.name or f"{record['name']}-restore", "Hypervisor": body.hypervisor or "any with room"}
    values = {k: v for k, v in body.model_dump().items() if v is not None}
    return render_template("ui/confirm.html", host=None, title=f"Restore {record['name']}", plan=None,
                           summary=summary, destructive=bool(body.volume_id),
                           back_url=url_for("ui.backup", backup_id=record["id"]),
                           form_url=url_for("ui.restore", backup_id=record["id"]),
                           fields={**values, "key": str(uuid.uuid4())})
