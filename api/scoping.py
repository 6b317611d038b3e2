"""Every authenticated request is scoped before its route runs: the ids its path and body
name, and the project it creates in (`operations.scoping.check_scope`)."""
from __future__ import annotations

import json

from flask import request

from api.limits import STREAMED
from operations.scoping import check_scope, scoped
from operations.services import Services

# routes creating something in the project their body names (default "default")
CREATES_IN_PROJECT = {"hosts.create_host", "volumes.create_volume"}


def check_request(svc: Services, identity: dict) -> None:
    """Reads the body only for a scoped token, and only a JSON one (`api.request_body`
    refuses to read any other as JSON): an image upload's stream must stay unread."""
    if not scoped(identity):
        return
    ids = {**_body_ids(), **(request.view_args or {})}
    creates_in = _body().get("project", "default") if request.endpoint in CREATES_IN_PROJECT else None
    check_scope(svc, identity, ids, creates_in)


def _body() -> dict:
    """The JSON object sent, or {} (a malformed body is the route's 400 to give). A body
    not sent as JSON is not read: the routes take no ids from it (`json_body` answers it
    415), and a streamed route's (STREAMED: the image upload) is its own to read."""
    if request.endpoint in STREAMED or not request.is_json:
        return {}
    try:
        body = json.loads(request.get_data(cache=True) or b"{}")
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than json.loads follows
        return {}
    return body if isinstance(body, dict) else {}


def _body_ids() -> dict:
    """Ids a body names (attach's and restore's `volume_id`), when they are strings."""
    return {k: v for k, v in _body().items() if k in {"host_id", "volume_id"} and isinstance(v, str)}
