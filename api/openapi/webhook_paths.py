"""OpenAPI paths of the webhooks: the signed generic one, the tickets (Jira, ServiceNow)
and the chat slash commands (Slack, Mattermost)."""
from __future__ import annotations

from api.openapi.fragments import ERROR, OP_REF, answer, body, errors

GENERIC_WEBHOOK_PATHS = {
    "/v1/webhooks/generic": {"post": {
        "summary": "a signed operation request; the signed body is its key (the same body again answers "
                   "the operation it made)", "security": [],
        "parameters": [{"name": "X-Hub-Signature-256", "in": "header", "required": True,
                        "schema": {"type": "string"},
                        "description": "sha256=<HMAC-SHA256 of \"<X-Hostflow-Timestamp>.<raw body>\" with the "
                                       "source's secret>"},
                       {"name": "X-Hostflow-Timestamp", "in": "header", "required": True,
                        "schema": {"type": "string"},
                        "description": "Unix seconds, signed; more than 300 s from now is `401 stale_request`"},
                       {"name": "X-Hostflow-Source", "in": "header", "schema": {"type": "string"}}],
        "requestBody": body("GenericWebhook"),
        "responses": {"202": answer("queued", OP_REF), **errors(400, 401, 409, 422)}}},
}


TICKET_REF = {"type": "object", "properties": {**OP_REF["properties"], "created": {
    "type": "boolean", "description": "false: a redelivery, answered with the operation it made"}}}
TICKET_ANSWERS = {
    "200": answer("no mapping rule matches the event: nothing started", {
        "type": "object", "properties": {"ignored": {"type": "string"}}}),
    "202": answer("queued; the ticket gets the result when the operation ends", TICKET_REF),
    "404": answer("a reclaim naming no host (`host_not_found`)", ERROR),
    "422": answer("`missing_fields` (details.missing: each field and the path the mapping looked at), "
                  "or a value the REST API would refuse", ERROR),
    **errors(400, 401, 409),
}
CHAT_FORM = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "properties": {k: {"type": "string"} for k in (
        "text", "user_id", "user_name", "channel_id", "response_url", "command", "token")}}}}}
CHAT_ANSWER = {"type": "object", "properties": {"response_type": {"type": "string"}, "text": {"type": "string"}}}
CHAT_ANSWERS = {
    "200": answer("`{response_type: ephemeral, text}`: the acknowledgement naming the operation, what was read, "
                  "usage help, or a refusal (unlinked user, a viewer's change)", CHAT_ANSWER),
    **errors(401),
}
TICKET_PATHS = {
    "/v1/webhooks/jira": {"post": {
        "summary": "a Jira issue webhook (`webhookEvent`, `issue`, `user`, `changelog`), mapped by "
                   "HOSTFLOW_JIRA_MAPPING; the result is posted as a comment on the issue",
        "security": [],
        "parameters": [{"name": "X-Hub-Signature", "in": "header", "required": True, "schema": {"type": "string"},
                        "description": "sha256=<HMAC-SHA256 of the raw body with HOSTFLOW_WEBHOOK_SECRET_JIRA>"},
                       {"name": "X-Atlassian-Webhook-Identifier", "in": "header", "schema": {"type": "string"},
                        "description": "not the key (it is not signed): the key is the signed event, its issue, "
                                       "timestamp and changelog id (else the body's SHA-256)"}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": TICKET_ANSWERS}},
    "/v1/webhooks/servicenow": {"post": {
        "summary": "a ServiceNow request item (its fields, `variables`), mapped by HOSTFLOW_SERVICENOW_MAPPING; "
                   "the result goes to the record's work notes",
        "security": [{"basic": []}, {"bearer": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": TICKET_ANSWERS}},
    "/v1/webhooks/slack": {"post": {
        "summary": "a Slack slash command (`text` in the chat grammar, `user_id`, `response_url`, ...), signed "
                   "with HOSTFLOW_SLACK_SIGNING_SECRET; answered at once (ephemeral), the result posted to "
                   "`response_url` when the operation ends",
        "security": [],
        "parameters": [{"name": "X-Slack-Signature", "in": "header", "required": True, "schema": {"type": "string"},
                        "description": "v0=<HMAC-SHA256 of `v0:{timestamp}:{raw body}`>"},
                       {"name": "X-Slack-Request-Timestamp", "in": "header", "required": True,
                        "schema": {"type": "string"}, "description": "Unix seconds; more than 300 s off: 401"}],
        "requestBody": CHAT_FORM, "responses": CHAT_ANSWERS}},
    "/v1/webhooks/mattermost": {"post": {
        "summary": "a Mattermost slash command (form `token` checked against HOSTFLOW_MATTERMOST_TOKEN); "
                   "answered and reported back as Slack's",
        "security": [], "requestBody": CHAT_FORM, "responses": CHAT_ANSWERS}},
}
