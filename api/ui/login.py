"""Log in with an API token; log out."""
from __future__ import annotations

from flask import redirect, render_template, request, session, url_for

from api.auth import services
from api.client_address import client_ip, counted_as, trusted_networks
from api.ui.blueprint import bp, end_session, start_session
from infra.db.tokens import hash_token


def _safe_next(target: str | None) -> str:
    """Only a path inside the dashboard: never another site."""
    if target and target.startswith("/ui/") and not target.startswith("//"):
        return target
    return url_for("ui.overview")


@bp.get("/login")
def login():
    return render_template("ui/login.html", error=None, next=request.args.get("next", ""))


def client_address() -> str:
    """Whom the login limit counts (api.client_address)."""
    trusted = trusted_networks(services().settings.trusted_proxies)
    return counted_as(client_ip(request.remote_addr or "unknown", request.headers.get("X-Forwarded-For", ""), trusted))


@bp.post("/login")
def login_submit():
    attempt, retry_after = services().ui_logins.attempt(client_address())
    if attempt is None:  # too many failures from here: the token is not even looked at
        settings = services().settings
        message = (f"Too many failed logins from this address ({settings.ui_login_max_failures} within "
                   f"{settings.ui_login_window_s} s): try again in {retry_after} s.")
        page = render_template("ui/error.html", status=429, code="too_many_login_failures", message=message)
        return page, 429, {"Retry-After": str(retry_after)}
    token = request.form.get("token", "").strip()
    identity = services().tokens.lookup(token) if token else None
    if identity is None:  # the attempt stays recorded: a failure
        session.pop("token_hash", None)
        return render_template("ui/login.html", error="This token is unknown or revoked.",
                               next=request.form.get("next", "")), 401
    services().ui_logins.succeeded(attempt)
    start_session(hash_token(token))
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    end_session()
    return redirect(url_for("ui.login"))
