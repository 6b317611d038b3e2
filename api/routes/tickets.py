"""Ticketing systems' webhooks: Jira (HMAC-signed) and ServiceNow (basic or bearer)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.auth import services, verify_credentials, verify_signature
from api.request_body import json_body
from api.views import operation_ref
from operations.services import Services
from webhooks.tickets import jira, servicenow
from webhooks.tickets.submit import submit_ticket

bp = Blueprint("tickets", __name__)


@bp.post("/v1/webhooks/jira")
def jira_issue():
    svc = services()
    raw = request.get_data(cache=True)
    verify_signature(svc.settings.webhook_secrets.get("jira"), raw,
                     request.headers.get(jira.SIGNATURE_HEADER), jira.SIGNATURE_HEADER)
    payload = json_body(any_content_type=True)
    ticket = jira.ticket(payload, raw, jira.mapping(svc.settings))  # keyed on the signed event, not a header
    return _answer(svc, ticket)


@bp.post("/v1/webhooks/servicenow")
def servicenow_item():
    svc = services()
    verify_credentials(svc.settings.webhook_auth.get("servicenow", "basic").lower(),
                       svc.settings.webhook_secrets.get("servicenow"), request.headers.get("Authorization"))
    payload = json_body(any_content_type=True)
    ticket = servicenow.ticket(payload, servicenow.mapping(svc.settings), svc.settings.servicenow_table)
    return _answer(svc, ticket)


def _answer(svc: Services, ticket):
    """An event the mapping asks nothing for is acknowledged (200), so the sender's log
    stays clean; a redelivery answers with the operation it made."""
    if ticket is None:
        return jsonify({"ignored": "no mapping rule matches this event"}), 200
    op, created = submit_ticket(svc, ticket)
    body = {"operation": operation_ref(op), "host": {"id": op["host_id"]}, "created": created}
    return jsonify(body), 202
