"""What the operation page can do to its operation: cancel it (after a confirmation
step), and approve or reject one awaiting approval. Each calls the same in-process
functions as the API's routes, with the same rules about who may."""
from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for

from api.auth import services
from api.ui.blueprint import bp, require_write
from api.ui.pages import operation as operation_page
from infra.db.operations import TERMINAL
from infra.errors import Conflict
from operations.approvals import SelfApproval, cancel, decide, may_approve

NOTE_LIMIT = 1000


def _back(op_id: str):
    return redirect(url_for("ui.operation", op_id=op_id), code=303)


def _refused(op_id: str, message: str, status: int, field: str = "action"):
    return operation_page(op_id, errors={field: message}, status=status)


@bp.post("/operations/<op_id>/cancel")
def cancel_operation(op_id: str):
    require_write()
    svc = services()
    op = svc.operations.get(op_id)
    if request.form.get("action") != "confirm":
        if op["state"] in TERMINAL:
            return _refused(op_id, f"this operation has ended ({op['state']}); there is nothing to cancel", 409)
        return render_template("ui/cancel_confirm.html", op=op)
    try:
        cancel(svc, op_id, g.identity["name"])
    except Conflict as exc:
        return _refused(op_id, exc.message, exc.status)
    return _back(op_id)


def _decide(op_id: str, decision: str):
    require_write()
    svc = services()
    if not may_approve(svc, g.identity["role"], g.identity["name"]):
        abort(403, "only an admin or a listed approver may answer an approval")
    note = request.form.get("note", "").strip()
    if len(note) > NOTE_LIMIT:
        return _refused(op_id, f"must be at most {NOTE_LIMIT} characters", 422, field="note")
    try:
        decide(svc, op_id, decision, g.identity["name"], note)
    except (Conflict, SelfApproval) as exc:
        return _refused(op_id, exc.message, exc.status)
    return _back(op_id)


@bp.post("/operations/<op_id>/approve")
def approve_operation(op_id: str):
    return _decide(op_id, "approved")


@bp.post("/operations/<op_id>/reject")
def reject_operation(op_id: str):
    return _decide(op_id, "rejected")
