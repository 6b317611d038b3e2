"""The host page's interactive console: a page holding xterm.js (vendored into the
static files at set-up) and a single-use console token granted as the page is made;
its script trades the token for the WebSocket (api.routes.console)."""
from __future__ import annotations

from flask import render_template

from api.auth import services
from api.origin import from_dashboard
from api.ui.blueprint import bp, require_write
from api.ui.pages import host as host_page
from infra.errors import Conflict
from operations.console import grant


@bp.get("/hosts/<host_id>/console")
def console(host_id: str):
    require_write()
    svc = services()
    host = svc.hosts.get(host_id)
    try:
        granted = grant(svc, host_id, from_dashboard())
    except Conflict as exc:
        return host_page(host_id, errors={"power": exc.message}, status=409)
    return render_template("ui/console.html", host=host, websocket=granted["websocket"])
