from __future__ import annotations

import json
import re

from flask import request

from infra.errors import HostflowError, Invalid


class MalformedJson(HostflowError):
    code, status = "malformed_json", 400


def parse_json(raw: bytes):
    """The JSON value of a request body; anything json.loads refuses is the client's 400:
    bad syntax or encoding, integers past Python's digit limit, nesting past the recursion limit."""
    try:
        return json.loads(raw or b"")
    except (ValueError, RecursionError) as exc:
        raise MalformedJson(f"request body is not valid JSON: {str(exc)[:200]}") from exc


class NotJson(HostflowError):
    code, status = "unsupported_media_type", 415


def json_body(any_content_type: bool = False) -> dict:
    """The request's JSON object, or a 400 that says what is wrong with it. It must come as
    `Content-Type: application/json` (else 415): a scoped token's ids are checked in such a
    body only (api.scoping), so no route may take them from another. Webhooks take any
    (`any_content_type`): their senders choose the header, and no token is scoped there."""
    raw = request.get_data(cache=True)
    if not any_content_type and raw.strip() and not request.is_json:
        raise NotJson("the request body must be sent as Content-Type: application/json",
                      details={"content_type": request.mimetype or None})
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise MalformedJson("request body must be a JSON object")
    return body


def optional_json_body() -> dict:
    """As json_body, but an empty body is an empty object."""
    return json_body() if request.get_data(cache=True).strip() else {}


WHOLE = re.compile(r"[0-9]{1,18}")


def whole_number(raw: str) -> int | None:
    """A form field's whole number in ASCII digits, or None. (str.isdigit alone lets
    through "²", and int() refuses that, or 4300 digits: a 500 where a 4xx belongs.)"""
    return int(raw) if WHOLE.fullmatch(raw) else None


def query_int(name: str, default: int, low: int, high: int) -> int:
    """An ASCII whole number from the query string, within low..high, or a 422.
    (str.isdigit alone lets through "²", which int() refuses.)"""
    raw = request.args.get(name, str(default))
    if not re.fullmatch(r"[0-9]{1,9}", raw) or not low <= int(raw) <= high:
        raise Invalid(f"{name}: must be a whole number between {low} and {high}")
    return int(raw)
