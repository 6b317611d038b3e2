"""Slack's interactive payloads: the Approve and Reject buttons on an operation waiting
for approval. Signed as slash commands are; the clicking user must be a mapped chat user
who is an admin or a listed approver (`slack:<user id>` in HOSTFLOW_APPROVERS) and who
may see the operation's project."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.auth import services
from infra.errors import Conflict, NotFound
from operations.approvals import SelfApproval, decide, may_approve
from operations.scoping import operation_project
from webhooks.chat import slack
from webhooks.chat.buttons import click
from webhooks.chat.replies import ephemeral
from webhooks.chat.users import chat_user, refusal

bp = Blueprint("slack_interactive", __name__)


@bp.post("/v1/webhooks/slack/interactive")
def slack_interactive():
    svc = services()
    slack.verify(svc.settings.slack_signing_secret, request.headers.get(slack.TIMESTAMP_HEADER),
                 request.get_data(cache=True), request.headers.get(slack.SIGNATURE_HEADER))
    decision, op_id, who = click(request.form.get("payload"))
    user = chat_user(svc.settings, "slack", str(who.get("id", "")), str(who.get("username", "")))
    if user is None:
        return jsonify(refusal("slack", str(who.get("id", ""))))
    if not may_approve(svc, user.role, user.key):
        return jsonify(ephemeral("only an admin or a listed approver may answer an approval"))
    try:
        op = svc.operations.get(op_id)
        project = operation_project(svc, op)
        if project is not None and not user.sees(project):
            raise NotFound(f"operation {op_id} not found")
        op = decide(svc, op_id, decision, f"{user.name} ({user.key})", "via Slack")
    except (NotFound, Conflict, SelfApproval) as exc:
        return jsonify(ephemeral(exc.message))
    return jsonify({"replace_original": True, "response_type": "in_channel",
                    "text": f"`{op['kind']}` operation `{op_id}` {decision} by {user.name}"})
