"""Response shapes shared by the endpoints."""
from __future__ import annotations

from flask import url_for

from operations.redaction import shown_operation


def operation_ref(op: dict) -> dict:
    return {"id": op["id"], "state": op["state"], "url": url_for("operations.get_operation", op_id=op["id"])}


def operation_full(op: dict) -> dict:
    """The whole operation as the API shows it: never its reply_to's response_url."""
    view = {k: v for k, v in shown_operation(op).items() if k not in {"fingerprint"}}
    view["url"] = url_for("operations.get_operation", op_id=op["id"])
    return view
