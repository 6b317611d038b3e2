"""The drift page (admin): the report's sources and findings (operations.drift), and a
button that repairs the safe findings shown, each as an operation of its own."""
from __future__ import annotations

import re

from flask import abort, render_template, request

from api.auth import services
from api.origin import from_dashboard
from api.ui.blueprint import bp, require_admin
from operations import drift

FINDING_ID = re.compile(r"[0-9a-f]{16}")


@bp.get("/drift")
def drift_report():
    require_admin()
    return render_template("ui/drift.html", report=drift.report(services()))


@bp.post("/drift/repairs")
def repair_drift():
    """Repairs the safe findings the page showed (their ids are the form's), as they are now."""
    require_admin()
    chosen = request.form.getlist("finding")
    if not chosen or not all(FINDING_ID.fullmatch(i) for i in chosen):
        abort(400, "the form names no finding, or something that is not a finding's id: reload the page")
    return render_template("ui/drift_repairs.html", done=drift.repair(services(), from_dashboard(), set(chosen)))
