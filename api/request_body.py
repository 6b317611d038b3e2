from __future__ import annotations

import json

from flask import request

from infra.errors import HostflowError


class MalformedJson(HostflowError):
    code, status = "malformed_json", 400


def json_body() -> dict:
    """The request's JSON object, or a 400 that says what is wrong with it."""
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedJson(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise MalformedJson("request body must be a JSON object")
    return body


def optional_json_body() -> dict:
    """As json_body, but an empty body is an empty object."""
    return json_body() if request.get_data(cache=True).strip() else {}
