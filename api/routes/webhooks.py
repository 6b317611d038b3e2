"""POST /v1/webhooks/generic: any tool that signs the raw body with HMAC-SHA256."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.auth import services, verify_signature
from api.request_body import json_body
from api.views import operation_ref
from operations.requests import GenericWebhook
from webhooks.generic import submit_generic

bp = Blueprint("webhooks", __name__)
# Sources with an endpoint of their own: their secrets do not open this one.
OWN_ENDPOINT = {"jira", "servicenow"}
DELIVERY_HEADERS = ("Idempotency-Key", "X-Delivery-Id", "X-GitHub-Delivery", "X-Request-Id")


@bp.post("/v1/webhooks/generic")
def generic():
    svc = services()
    source = request.headers.get("X-Hostflow-Source", "generic").lower()
    secret = None if source in OWN_ENDPOINT else svc.settings.webhook_secrets.get(source)
    verify_signature(secret, request.get_data(cache=True),
                     request.headers.get("X-Hub-Signature-256"))
    hook = GenericWebhook.model_validate(json_body(any_content_type=True))
    key = next((request.headers[h] for h in DELIVERY_HEADERS if request.headers.get(h)), None)
    key = f"{source}:{key}" if key else None
    op = submit_generic(svc, source, hook, key)
    return jsonify({"operation": operation_ref(op), "host": {"id": op["host_id"]}}), 202
