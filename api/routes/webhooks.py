"""POST /v1/webhooks/generic: any tool that signs a timestamp and the raw body with
HMAC-SHA256 (webhooks.generic); the signed body is the delivery's key."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.auth import services
from api.request_body import json_body
from api.views import operation_ref
from operations.requests import GenericWebhook
from webhooks.generic import SIGNATURE_HEADER, TIMESTAMP_HEADER, delivery_key, submit_generic, verify

bp = Blueprint("webhooks", __name__)
# Sources with an endpoint of their own: their secrets do not open this one.
OWN_ENDPOINT = {"jira", "servicenow"}


@bp.post("/v1/webhooks/generic")
def generic():
    svc = services()
    source = request.headers.get("X-Hostflow-Source", "generic").lower()
    secret = None if source in OWN_ENDPOINT else svc.settings.webhook_secrets.get(source)
    raw = request.get_data(cache=True)
    verify(secret, request.headers.get(TIMESTAMP_HEADER), raw, request.headers.get(SIGNATURE_HEADER))
    hook = GenericWebhook.model_validate(json_body(any_content_type=True))
    # the key is the signed body: a delivery-id header is not signed, so it is not the key
    op = submit_generic(svc, source, hook, delivery_key(source, raw))
    return jsonify({"operation": operation_ref(op), "host": {"id": op["host_id"]}}), 202
