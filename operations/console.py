"""Interactive consoles, as Nova gives them: a short-lived, single-use token granted for
one host to whoever may act on it (the route that grants it is scoped like every host
call), traded once for a session relayed from the host's node. Each session is audited
(`console_sessions`: opened, closed); what passes through it is never logged."""
from __future__ import annotations

import logging
import uuid

from infra import console_relay
from infra.domain_xml import domain_name
from infra.errors import Conflict, Unauthorized
from operations.origin import Origin
from operations.services import Services

log = logging.getLogger("hostflow.console")
CONSOLE_STATES = frozenset({"running", "paused"})


def grant(svc: Services, host_id: str, origin: Origin) -> dict:
    host = svc.hosts.get(host_id)
    if not host.get("hypervisor") or host["power_state"] not in CONSOLE_STATES:
        raise Conflict(f"host {host_id} has no console now (it is {host['power_state'] or host['state']})",
                       code="console_unavailable", details={"power_state": host["power_state"]})
    token = console_relay.issue_token(svc.redis, {"host_id": host_id, "requester": origin.requester,
                                                  "source": origin.source})
    return {"token": token, "expires_in": console_relay.TOKEN_TTL_S,
            "websocket": f"/v1/console/ws?token={token}"}


def open_session(svc: Services, token: str) -> dict:
    granted = console_relay.take_token(svc.redis, token) if token else None
    if granted is None:
        raise Unauthorized("the console token is unknown, used or expired", code="console_token_invalid")
    host = svc.hosts.get(granted["host_id"])
    session = {"id": str(uuid.uuid4()), "host_id": host["id"], "node": host["hypervisor"]}
    svc.console_sessions.opened(session["id"], host["id"], granted["requester"], granted["source"])
    console_relay.ApiSide(svc.redis, session["node"]).open(session["id"], host["id"], domain_name(host["id"]))
    log.info("console_opened: host %s by %s (%s), session %s", host["id"], granted["requester"],
             granted["source"], session["id"])
    return session


def relay(svc: Services, session: dict) -> console_relay.ApiSide:
    return console_relay.ApiSide(svc.redis, session["node"])


def close_session(svc: Services, session: dict) -> None:
    try:
        relay(svc, session).end(session["id"])
    finally:
        svc.console_sessions.closed(session["id"])
        log.info("console_closed: host %s, session %s", session["host_id"], session["id"])
