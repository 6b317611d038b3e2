"""Chat-ops webhooks: Slack and Mattermost slash commands (form-encoded), answered
with an ephemeral message; an operation's progress and end are posted to the command's
response_url, which must name one of the allowed chat hosts (else 400, nothing starts)."""
from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Blueprint, jsonify, request

from api.auth import services
from operations.services import Services
from webhooks.chat import mattermost, slack
from webhooks.chat.commands import answer
from webhooks.chat.replies import check_response_url, expires_at
from webhooks.chat.users import chat_user, refusal

bp = Blueprint("chat", __name__)


def _form() -> dict[str, str]:
    """The raw body was read for the signature; it is parsed from there."""
    return dict(parse_qsl(request.get_data(cache=True).decode("utf-8", "replace"), keep_blank_values=True))


@bp.post("/v1/webhooks/slack")
def slack_command():
    svc = services()
    stamp, raw = request.headers.get(slack.TIMESTAMP_HEADER), request.get_data(cache=True)
    slack.verify(svc.settings.slack_signing_secret, stamp, raw, request.headers.get(slack.SIGNATURE_HEADER))
    return _command(svc, "slack", _form(), slack.delivery_key(stamp, raw))


@bp.post("/v1/webhooks/mattermost")
def mattermost_command():
    svc = services()
    form = _form()
    mattermost.verify(svc.settings.mattermost_token, form.get("token"))
    return _command(svc, "mattermost", form, mattermost.delivery_key(form.get("trigger_id")))


def _command(svc: Services, platform: str, form: dict[str, str], delivery: str | None):
    """`delivery`: the request's key; a changing command delivered again starts nothing."""
    check_response_url(form.get("response_url"), svc.settings)
    user_id = form.get("user_id", "")
    user = chat_user(svc.settings, platform, user_id, form.get("user_name", ""))
    if user is None:
        return jsonify(refusal(platform, user_id or "unknown")), 200
    reply_to = {"target": platform, "response_url": form.get("response_url"), "channel": form.get("channel_id"),
                "user": user.key, "expires_at": expires_at(svc.settings)}
    if not reply_to["response_url"]:
        reply_to = None  # nowhere to report the end to
    return jsonify(answer(svc, user, platform, form.get("text", ""), reply_to, delivery)), 200
