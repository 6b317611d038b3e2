"""Interactive consoles: a single-use token for one host, traded for a WebSocket that
relays the host's serial console from its node (operations.console)."""
from __future__ import annotations

import threading

from flask import Blueprint, g, jsonify, request
from flask_sock import Sock

from api.auth import require, services
from infra.errors import HostflowError
from operations.console import close_session, grant, open_session, relay
from operations.origin import Origin

bp = Blueprint("console", __name__)
sock = Sock()
POLICY_VIOLATION = 1008  # the WebSocket close code for a refused token


@bp.post("/v1/hosts/<host_id>/console/token")
@require(write=True)
def console_token(host_id: str):
    """Starts no operation: no Idempotency-Key (each call grants a new token)."""
    return jsonify(grant(services(), host_id, Origin("api", g.identity["name"]))), 201


@bp.get("/v1/hosts/<host_id>/console/sessions")
@require()
def console_sessions(host_id: str):
    svc = services()
    svc.hosts.get(host_id)
    return jsonify({"host": host_id, "sessions": svc.console_sessions.of_host(host_id)})


@sock.route("/v1/console/ws", bp=bp)
def console_ws(ws):
    """Bytes both ways until either side closes; the token is the only credential (a
    browser cannot set headers on a WebSocket)."""
    svc = services()
    try:
        session = open_session(svc, request.args.get("token", ""))
    except HostflowError as exc:
        ws.close(reason=POLICY_VIOLATION, message=exc.message[:120])
        return
    stop = threading.Event()
    link = relay(svc, session)
    threading.Thread(target=_to_browser, args=(ws, link, session["id"], stop), daemon=True).start()
    try:
        while not stop.is_set():
            data = ws.receive(timeout=0.5)
            if data:
                link.send(session["id"], data.encode() if isinstance(data, str) else data)
    finally:
        stop.set()
        close_session(svc, session)


def _to_browser(ws, link, session_id: str, stop: threading.Event) -> None:
    try:
        while not stop.is_set():
            data = link.receive(session_id, timeout=0.5)
            if data is None:
                break
            if data:
                ws.send(data)
    except Exception:  # noqa: BLE001 - the browser went away or redis failed: the session ends
        pass
    finally:
        stop.set()
        try:
            ws.close()
        except Exception:  # noqa: BLE001
            pass
