"""Request size limits, enforced before a route runs: before its body is read, before any
signature or token is checked. A Content-Length over the route's limit is refused at once;
a body without one (chunked) is read up to the limit and no further. Refused: `413
request_too_large`.

Every route has HOSTFLOW_MAX_REQUEST_BYTES (Flask's MAX_CONTENT_LENGTH), each webhook the
smaller limit of its source. The image upload streams its body in parts into object
storage, so it has none here, only its own (`operations.image_upload`)."""
from __future__ import annotations

import sys

from flask import Flask, request

from infra.errors import HostflowError
from infra.settings import Settings

# Routes that read their body as a stream, never whole: no limit here, and nothing
# (api.scoping) may read their body before them.
STREAMED = frozenset({"images.put_file"})
# webhook route -> the setting with its source's limit
WEBHOOK_LIMITS = {
    "webhooks.generic": "max_generic_webhook_bytes",
    "tickets.jira_issue": "max_ticket_webhook_bytes",
    "tickets.servicenow_item": "max_ticket_webhook_bytes",
    "chat.slack_command": "max_chat_webhook_bytes",
    "chat.mattermost_command": "max_chat_webhook_bytes",
    "slack_interactive.slack_interactive": "max_chat_webhook_bytes",
}


class RequestTooLarge(HostflowError):
    code, status = "request_too_large", 413


def too_large(limit: int | None) -> RequestTooLarge:
    if limit is None:
        return RequestTooLarge("the request body is over this route's limit")
    return RequestTooLarge(f"the request body is over this route's limit of {limit} bytes",
                           details={"limit_bytes": limit})


def limit_for(settings: Settings, endpoint: str | None) -> int | None:
    """The most bytes this route's body may have; None: the route streams it, unbounded here."""
    if endpoint in STREAMED:
        return None
    if endpoint in WEBHOOK_LIMITS:
        return min(settings.max_request_bytes, getattr(settings, WEBHOOK_LIMITS[endpoint]))
    return settings.max_request_bytes


def install(app: Flask, settings: Settings) -> None:
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes

    @app.before_request  # the app's own run before any blueprint's (the dashboard's CSRF check reads the form)
    def _bounded_body():
        limit = limit_for(settings, request.endpoint)
        if limit is None:  # None would fall back to MAX_CONTENT_LENGTH: no limit is the largest one
            request.max_content_length = sys.maxsize
            return
        request.max_content_length = limit
        if request.content_length is not None:
            if request.content_length > limit:
                raise too_large(limit)
            return
        # No Content-Length (chunked): read one byte past the limit at most, so that a
        # body of exactly the limit passes and a longer one is refused, not cut short.
        # The bytes are kept: the route reads them from there.
        request.max_content_length = limit + 1
        if len(request.get_data(cache=True)) > limit:
            raise too_large(limit)
        request.max_content_length = limit
