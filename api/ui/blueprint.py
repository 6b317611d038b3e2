"""The dashboard's blueprint: who is logged in, CSRF on every POST, HTML errors."""
from __future__ import annotations

import hmac
import os
import secrets
import time
from pathlib import Path

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from api.auth import services
from api.scoping import check_request
from infra.db.tokens import identity_for_hash
from infra.errors import HostflowError

bp = Blueprint("ui", __name__, url_prefix="/ui", template_folder="templates", static_folder="static")

OPEN_ENDPOINTS = {"ui.login", "ui.login_submit", "ui.static"}


class DashboardSession(SecureCookieSessionInterface):
    """Flask's signed cookie, kept to /ui, Secure whenever the request came over https."""

    def get_cookie_secure(self, app) -> bool:
        return request.is_secure

    def get_cookie_path(self, app) -> str:
        return "/ui"

    def get_cookie_samesite(self, app) -> str:
        return "Lax"

    def get_cookie_httponly(self, app) -> bool:
        return True


@bp.record_once
def _configure(state) -> None:
    app = state.app
    app.secret_key = _session_secret(app.extensions["hostflow"].settings)
    app.session_interface = DashboardSession()


def _session_secret(settings) -> str:
    """The setting, else the secret `scripts/stack.sh` keeps in the state dir (made here if
    missing), so every worker process of one API signs alike."""
    if settings.ui_session_secret:
        return settings.ui_session_secret
    path = Path(settings.state_dir) / "ui-session-secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def start_session(token_hash: str) -> None:
    """A fresh session (and CSRF token) on login, with a new id the server keeps as live
    until the logout: a copy of the cookie is refused after it."""
    if session.get("sid"):  # a login over a live session ends that one
        services().ui_sessions.end(session["sid"])
    session.clear()
    session["sid"] = services().ui_sessions.start(services().settings.ui_session_max_s)
    session["token_hash"] = token_hash
    session["issued"] = session["seen"] = int(time.time())


def end_session() -> None:
    services().ui_sessions.end(session.get("sid"))
    session.clear()


def _fresh() -> bool:
    """Within both limits: idle since the last request, and absolute since the login."""
    settings, now = services().settings, time.time()
    issued, seen = session.get("issued"), session.get("seen")
    if not isinstance(issued, int) or not isinstance(seen, int):
        return False
    if now - seen > settings.ui_session_idle_s or now - issued > settings.ui_session_max_s:
        return False
    session["seen"] = int(now)
    return True


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _check_csrf() -> None:
    given, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        abort(400, "the form's CSRF token is missing or stale: reload the page and try again")


@bp.before_request
def _load_identity():
    if request.method == "POST":
        _check_csrf()
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    live = _fresh() and services().ui_sessions.live(session.get("sid"))  # not logged out
    g.identity = identity_for_hash(services().tokens.db, session.get("token_hash")) if live else None
    if g.identity is None:
        session.clear()
        return redirect(url_for("ui.login", next=request.path))
    check_request(services(), g.identity)  # another project's host or operation: 404
    return None


CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"


@bp.after_request
def _security_headers(response):
    """No page of the dashboard runs inside another site's frame, or runs script not its own."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def may_write() -> bool:
    return g.get("identity") is not None and g.identity["role"] != "viewer"


def require_write() -> None:
    if not may_write():
        abort(403, "this token may only read")


def is_admin() -> bool:
    return g.get("identity") is not None and g.identity["role"] == "admin"


def require_admin() -> None:
    if not is_admin():
        abort(403, "this page needs an admin token")


@bp.app_context_processor
def _template_globals() -> dict:
    return {"csrf_token": csrf_token, "may_write": may_write, "is_admin": is_admin,
            "identity": lambda: g.get("identity")}


@bp.errorhandler(HostflowError)
def _hostflow_error(exc: HostflowError):
    status = exc.status if exc.status != 500 else 503
    return render_template("ui/error.html", status=status, code=exc.code, message=exc.message), status


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    code = (exc.name or "error").lower().replace(" ", "_")
    return render_template("ui/error.html", status=exc.code, code=code, message=exc.description), exc.code
