"""Log in with an API token; log out."""
from __future__ import annotations

from flask import redirect, render_template, request, session, url_for

from api.auth import services
from api.ui.blueprint import bp, start_session
from infra.db.tokens import hash_token


def _safe_next(target: str | None) -> str:
    """Only a path inside the dashboard: never another site."""
    if target and target.startswith("/ui/") and not target.startswith("//"):
        return target
    return url_for("ui.overview")


@bp.get("/login")
def login():
    return render_template("ui/login.html", error=None, next=request.args.get("next", ""))


@bp.post("/login")
def login_submit():
    token = request.form.get("token", "").strip()
    identity = services().tokens.lookup(token) if token else None
    if identity is None:
        session.pop("token_hash", None)
        return render_template("ui/login.html", error="This token is unknown or revoked.",
                               next=request.form.get("next", "")), 401
    start_session(hash_token(token))
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("ui.login"))
