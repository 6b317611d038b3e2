"""OpenAPI entries of the identity calls: tokens and the audit trail."""
from __future__ import annotations

from operations.requests import CreateToken

ERROR = {"$ref": "#/components/schemas/Error"}


def _answer(desc: str, schema: dict | None = None) -> dict:
    body = {"description": desc}
    if schema:
        body["content"] = {"application/json": {"schema": schema}}
    return body


ADMIN_ERRORS = {"401": _answer("missing, bad or revoked token", ERROR),
                "403": _answer("not an admin token", ERROR)}
QUERY = [{"name": n, "in": "query", "schema": schema, "description": d} for n, schema, d in (
    ("requester", {"type": "string"}, "token name, Jira user, chat user"),
    ("source", {"type": "string"}, "api, jira, servicenow, slack, mattermost, prefect-ui"),
    ("kind", {"type": "string"}, "operation kind"),
    ("since", {"type": "string", "format": "date-time"}, "created at or after (ISO 8601; no offset: UTC)"),
    ("until", {"type": "string", "format": "date-time"}, "created before (ISO 8601)"),
    ("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}, "how many, newest first"))]
IDENTITY_PATHS = {
    "/v1/tokens": {
        "post": {"summary": "create a token (admin); the answer's `secret` is shown this once, only its hash is kept",
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": CreateToken.model_json_schema()}}},
                 "responses": {"201": _answer("the token with its secret"), "422": _answer("invalid", ERROR),
                               "400": _answer("malformed JSON", ERROR), **ADMIN_ERRORS}},
        "get": {"summary": "tokens (admin): name, role, projects, created, revoked; never secrets",
                "responses": {"200": _answer("tokens"), **ADMIN_ERRORS}},
    },
    "/v1/tokens/{id}": {"parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                        "delete": {"summary": "revoke a token (admin): it gets 401 from then on; idempotent",
                                   "responses": {"200": _answer("the revoked token"),
                                                 "404": _answer("`token_not_found`", ERROR), **ADMIN_ERRORS}}},
    "/v1/audit": {"get": {"summary": "who asked for which operation, from where (admin), newest first",
                          "parameters": QUERY,
                          "responses": {"200": _answer("`{records, total}`"),
                                        "422": _answer("a bad filter value, or `unknown_filter`", ERROR),
                                        **ADMIN_ERRORS}}},
}
