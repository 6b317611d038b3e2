"""Pieces the OpenAPI paths share: the error and queued-operation schemas, the common
parameters (`dry_run`, `Idempotency-Key`, the `id` in the path) and the answer builders."""
from __future__ import annotations

ERROR = {"type": "object", "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
    "code": {"type": "string"}, "message": {"type": "string"}, "details": {}}}}}
OP_REF = {"type": "object", "properties": {"operation": {"type": "object", "properties": {
    "id": {"type": "string"}, "state": {"type": "string"}, "url": {"type": "string"}}},
    "host": {"type": "object", "properties": {"id": {"type": "string"}}}}}

DRY_RUN = {"name": "dry_run", "in": "query", "schema": {"type": "boolean"},
           "description": "answer 200 with the plan; change nothing"}
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": True,
               "schema": {"type": "string", "minLength": 1, "maxLength": 255},
               "description": "required on every call that starts an operation (a dry run may omit it): the same "
                              "key again (a retry) answers the same operation; none: 400 idempotency_key_required; "
                              "over 255 characters or with a control character: 400 idempotency_key_invalid"}
DELETE_VOLUMES = {"name": "delete_volumes", "in": "query", "schema": {"type": "boolean"},
                  "description": "delete the host's volumes instead of detaching them (as the body's field)"}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}

ERROR_NAMES = {400: "malformed JSON", 401: "missing or bad token", 403: "read-only token", 404: "not found",
               409: "conflict", 422: "invalid request", 503: "a backing service is unavailable"}


def answer(desc: str, schema: dict | None = None) -> dict:
    """A response: its description, and a JSON body of `schema` if given."""
    resp = {"description": desc}
    if schema:
        resp["content"] = {"application/json": {"schema": schema}}
    return resp


def errors(*codes: int) -> dict:
    """The usual error responses for these status codes, each with the `Error` body."""
    return {str(c): answer(ERROR_NAMES[c], ERROR) for c in codes}


def body(schema: str) -> dict:
    """A required JSON request body of one of the component schemas."""
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
