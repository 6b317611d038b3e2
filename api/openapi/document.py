"""The OpenAPI document, with request schemas taken from the pydantic models."""
from __future__ import annotations

import copy

from api.openapi.identity import IDENTITY_PATHS
from operations.networks import CreateNetwork
from operations.requests import (
    AllocateHost,
    AttachVolume,
    CreateBackup,
    CreateImage,
    CreateVolume,
    GenericWebhook,
    RebuildHost,
    ReclaimOptions,
    RegisterName,
    ResizeHost,
    RestoreBackup,
    SnapshotHost,
    UpdateImage,
)
from operations.share_requests import AttachShare, CreateShare

ERROR = {"type": "object", "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
    "code": {"type": "string"}, "message": {"type": "string"}, "details": {}}}}}
OP_REF = {"type": "object", "properties": {"operation": {"type": "object", "properties": {
    "id": {"type": "string"}, "state": {"type": "string"}, "url": {"type": "string"}}},
    "host": {"type": "object", "properties": {"id": {"type": "string"}}}}}


def _resp(desc: str, schema: dict | None = None) -> dict:
    body = {"description": desc}
    if schema:
        body["content"] = {"application/json": {"schema": schema}}
    return body


def _errors(*codes: int) -> dict:
    names = {400: "malformed JSON", 401: "missing or bad token", 403: "read-only token", 404: "not found",
             409: "conflict", 422: "invalid request", 503: "a backing service is unavailable"}
    return {str(c): _resp(names[c], ERROR) for c in codes}


DRY_RUN = {"name": "dry_run", "in": "query", "schema": {"type": "boolean"},
           "description": "answer 200 with the plan; change nothing"}
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}
DELETE_VOLUMES = {"name": "delete_volumes", "in": "query", "schema": {"type": "boolean"},
                  "description": "delete the host's volumes instead of detaching them (as the body's field)"}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def with_shared_answers(paths: dict) -> dict:
    """Answers a shared parameter brings wherever it is used: `dry_run` the plan (200),
    `Idempotency-Key` a 422 `idempotency_key_reused` for a key sent before with another request."""
    paths = copy.deepcopy(paths)  # the entries are module constants
    for item in paths.values():
        for op in (v for k, v in item.items() if k != "parameters"):
            params, answers = op.get("parameters", []), op["responses"]
            if DRY_RUN in params:
                answers.setdefault("200", _resp("plan (dry run)"))
            if IDEMPOTENCY in params:
                answers.setdefault("422", _resp("invalid request", ERROR))
                answers["422"]["description"] += "; `idempotency_key_reused`: the key came with another request"
    return paths


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "hostflow", "version": "0.1.0"},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "basic": {"type": "http", "scheme": "basic"}},
            "schemas": {"AllocateHost": AllocateHost.model_json_schema(),
                        "GenericWebhook": GenericWebhook.model_json_schema(),
                        "CreateVolume": CreateVolume.model_json_schema(),
                        "AttachVolume": AttachVolume.model_json_schema(),
                        "ReclaimOptions": ReclaimOptions.model_json_schema(),
                        "CreateBackup": CreateBackup.model_json_schema(),
                        "RestoreBackup": RestoreBackup.model_json_schema(),
                        "ResizeHost": ResizeHost.model_json_schema(), "Error": ERROR,
                        "SnapshotHost": SnapshotHost.model_json_schema(),
                        "RebuildHost": RebuildHost.model_json_schema(),
                        "CreateImage": CreateImage.model_json_schema(),
                        "UpdateImage": UpdateImage.model_json_schema(),
                        "RegisterName": RegisterName.model_json_schema(),
                        "CreateNetwork": CreateNetwork.model_json_schema(),
                        "CreateShare": CreateShare.model_json_schema(),
                        "AttachShare": AttachShare.model_json_schema()},
        },
        "security": [{"bearer": []}],
        "paths": with_shared_answers({
            "/v1/hosts": {
                "post": {"summary": "allocate a host", "parameters": [DRY_RUN, IDEMPOTENCY],
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/AllocateHost"}}}},
                         "responses": {"202": _resp("queued", OP_REF), "200": _resp("plan (dry run)"),
                                       **_errors(400, 401, 403, 409, 422, 503)}},
                "get": {"summary": "list hosts", "responses": {"200": _resp("hosts"), **_errors(401)}},
            },
            "/v1/hosts/{id}": {
                "parameters": [ID],
                "get": {"summary": "a host", "responses": {"200": _resp("host"), **_errors(401, 404)}},
                "delete": {"summary": "reclaim a host", "parameters": [DRY_RUN, IDEMPOTENCY, DELETE_VOLUMES],
                           "requestBody": {**_body("ReclaimOptions"), "required": False},
                           "responses": {"202": _resp("queued", OP_REF), "200": _resp("plan (dry run)"),
                                         **_errors(400, 401, 403, 404, 409, 422)}},
            },
            "/v1/operations": {"get": {
                "summary": "operations, newest first (no steps); `total` counts every match",
                "parameters": [{"name": "state", "in": "query", "schema": {"type": "string"}},
                               {"name": "kind", "in": "query", "schema": {"type": "string"}},
                               {"name": "limit", "in": "query",
                                "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}],
                "responses": {"200": _resp("operations"), **_errors(401, 422)}}},
            "/v1/operations/{id}": {"parameters": [ID], "get": {
                "summary": "an operation with its steps; `notify` (pending, sent, failed: retried) and "
                           "`notifications` for one from a ticket", "responses": {"200": _resp("operation"),
                                                                        **_errors(401, 404)}}},
            "/v1/operations/{id}/retry": {"parameters": [ID], "post": {
                "summary": "resume a failed operation", "responses": {"202": _resp("queued", OP_REF),
                                                                      **_errors(401, 403, 404, 409)}}},
            "/v1/hypervisors": {"get": {"summary": "nodes: capacity, claimed, heartbeat",
                                        "responses": {"200": _resp("hypervisors"), **_errors(401)}}},
            "/v1/networks": {
                "get": {"summary": "networks (?env=: those an environment may use)",
                        "responses": {"200": _resp("networks"), **_errors(401)}},
                "post": {"summary": "record a network (admin); 409 subnet_overlap, segment_in_use, network_exists",
                         "requestBody": _body("CreateNetwork"),
                         "responses": {"201": _resp("the network"), **_errors(400, 401, 403, 409, 422)}}},
            "/v1/networks/{name}": {"parameters": [{"name": "name", "in": "path", "required": True,
                                                    "schema": {"type": "string"}}],
                                    "get": {"summary": "a network", "responses": {"200": _resp("network"),
                                                                                  **_errors(401, 404)}},
                                    "delete": {"summary": "remove a network without addresses (admin)",
                                               "responses": {"200": _resp("the removed network"),
                                                             **_errors(401, 403, 404, 409)}}},
            "/v1/volumes": {
                "post": {"summary": "create a volume", "parameters": [DRY_RUN, IDEMPOTENCY],
                         "requestBody": _body("CreateVolume"),
                         "responses": {"202": _resp("queued", OP_REF), **_errors(400, 401, 403, 409, 422)}},
                "get": {"summary": "list volumes", "responses": {"200": _resp("volumes"), **_errors(401)}},
            },
            "/v1/volumes/{id}": {
                "parameters": [ID],
                "get": {"summary": "a volume", "responses": {"200": _resp("volume"), **_errors(401, 404)}},
                "delete": {"summary": "delete a volume", "parameters": [DRY_RUN, IDEMPOTENCY],
                           "responses": {"202": _resp("queued", OP_REF), **_errors(401, 403, 404, 409)}},
            },
            "/v1/volumes/{id}/extend": {"parameters": [ID], "post": {
                "summary": "grow a volume (live when attached)", "parameters": [DRY_RUN, IDEMPOTENCY],
                "responses": {"202": _resp("queued", OP_REF), **_errors(400, 401, 403, 404, 409, 422)}}},
            "/v1/hosts/{id}/volumes": {"parameters": [ID], "post": {
                "summary": "attach a volume (live)", "parameters": [DRY_RUN, IDEMPOTENCY],
                "requestBody": _body("AttachVolume"),
                "responses": {"202": _resp("queued", OP_REF), **_errors(400, 401, 403, 404, 409, 422)}}},
            "/v1/hosts/{id}/volumes/{volume_id}": {
                "parameters": [ID, {"name": "volume_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "delete": {"summary": "detach a volume", "parameters": [DRY_RUN, IDEMPOTENCY],
                           "responses": {"202": _resp("queued", OP_REF), **_errors(401, 403, 404, 409)}}},
            "/v1/volumes/{id}/backups": {"parameters": [ID], "post": {
                "summary": "back a volume up to object storage (incremental: on its newest backup)",
                "parameters": [IDEMPOTENCY], "requestBody": {**_body("CreateBackup"), "required": False},
                "responses": {"202": _resp("queued", OP_REF), **_errors(400, 401, 403, 404, 409, 422)}}},
            "/v1/backups": {"get": {
                "summary": "list backups", "parameters": [{"name": "volume_id", "in": "query",
                                                             "schema": {"type": "string"}}],
                "responses": {"200": _resp("backups"), **_errors(401)}}},
            "/v1/backups/{id}": {
                "parameters": [ID],
                "get": {"summary": "a backup", "responses": {"200": _resp("backup"), **_errors(401, 404)}},
                "delete": {"summary": "delete a backup and its objects", "parameters": [IDEMPOTENCY],
                           "responses": {"202": _resp("queued", OP_REF), **_errors(401, 403, 404, 409)}}},
            "/v1/backups/{id}/restore": {"parameters": [ID], "post": {
                "summary": "restore onto a new volume or an available one", "parameters": [IDEMPOTENCY],
                "requestBody": {**_body("RestoreBackup"), "required": False},
                "responses": {"202": _resp("queued", OP_REF), **_errors(400, 401, 403, 404, 409, 422)}}},
            "/v1/hosts/{id}/resize": {"parameters": [ID], "post": {
                "summary": "change vCPUs, memory and disk (live where possible)", "parameters": [IDEMPOTENCY],
                "requestBody": _body("ResizeHost"),
                "responses": {"202": _resp("queued", OP_REF), **_errors(400, 401, 403, 404, 409, 422)}}},
            "/v1/hosts/{id}/resize/confirm": {"parameters": [ID], "post": {
                "summary": "keep the new size",
                "responses": {"202": _resp("queued", OP_REF), **_errors(401, 403, 404, 409)}}},
            "/v1/hosts/{id}/resize/revert": {"parameters": [ID], "post": {
                "summary": "back to the old vCPUs and memory (a grown disk stays)",
                "responses": {"202": _resp("queued", OP_REF), **_errors(401, 403, 404, 409)}}},
            "/v1/webhooks/generic": {"post": {
                "summary": "a signed operation request", "security": [],
                "parameters": [{"name": "X-Hub-Signature-256", "in": "header", "required": True,
                                "schema": {"type": "string"}},
                               {"name": "X-Hostflow-Source", "in": "header", "schema": {"type": "string"}},
                               IDEMPOTENCY],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/GenericWebhook"}}}},
                "responses": {"202": _resp("queued", OP_REF), **_errors(400, 401, 409, 422)}}},
            **TICKET_PATHS,
            **HOST_IMAGE_PATHS,
            **IMAGE_PATHS,
            **DNS_PATHS,
            **SHARE_PATHS,
            **IDENTITY_PATHS,
        }),
    }


HOST_IMAGE_REF = {"type": "object", "properties": {**OP_REF["properties"], "image": {
    "type": "object", "properties": {"id": {"type": "string"}}}}}
HOST_IMAGE_PATHS = {
    "/v1/hosts/{id}/snapshot": {"parameters": [ID], "post": {
        "summary": "a new qcow2 image of the host's root disk (live copy while it runs), `queued` until uploaded",
        "parameters": [IDEMPOTENCY], "requestBody": _body("SnapshotHost"),
        "responses": {"202": _resp("queued; the new image's id", HOST_IMAGE_REF),
                      **_errors(400, 401, 403, 404, 409, 422)}}},
    "/v1/hosts/{id}/rebuild": {"parameters": [ID], "post": {
        "summary": "replace the root disk by a new one on the image; id, name, addresses and volumes stay",
        "parameters": [IDEMPOTENCY], "requestBody": _body("RebuildHost"),
        "responses": {"202": _resp("queued", HOST_IMAGE_REF),
                      "409": _resp("host busy or not active (`host_busy`), image not active (`image_not_active`)",
                                   ERROR),
                      "422": _resp("`unknown_image`, `image_not_bootable`, `flavor_disk_too_small`, "
                                   "`flavor_ram_too_small`", ERROR),
                      **_errors(400, 401, 403, 404)}}},
}


IMAGE_FILTERS = [{"name": n, "in": "query", "schema": {"type": "string"}}
                 for n in ("name", "status", "disk_format", "container_format")]
IMAGE_FILTERS.append({"name": "property-{key}", "in": "query", "schema": {"type": "string"},
                      "description": "images whose property {key} equals the value (repeatable, all must match)"})
IMAGE = _resp("the image record", {"type": "object", "properties": {"image": {"type": "object"}}})
IMAGE_PATHS = {
    "/v1/images": {
        "post": {"summary": "record an image (`queued`) to upload its bytes to", "requestBody": _body("CreateImage"),
                 "responses": {"201": IMAGE, **_errors(400, 401, 403, 422)}},
        "get": {"summary": "list images (deleted ones only with status=deleted)", "parameters": IMAGE_FILTERS,
                "responses": {"200": _resp("images"), **_errors(401, 422)}},
    },
    "/v1/images/{id}": {
        "parameters": [ID],
        "get": {"summary": "an image", "responses": {"200": IMAGE, **_errors(401, 404)}},
        "patch": {"summary": "edit name, properties (null removes one), minimums, protected (JSON merge patch)",
                  "requestBody": _body("UpdateImage"),
                  "responses": {"200": IMAGE, **_errors(400, 401, 403, 404, 409, 422)}},
        "delete": {"summary": "mark it deleted and remove its object",
                   "responses": {"200": IMAGE, "409": _resp("`image_in_use` by a host, `image_protected`", ERROR),
                                 **_errors(401, 403, 404)}},
    },
    "/v1/images/{id}/file": {
        "parameters": [ID],
        "put": {"summary": "stream the bytes (`saving`), inspected, then `active`; refused or cut off: `killed`",
                "requestBody": {"required": True, "content": {"application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}}},
                "responses": {"200": IMAGE, "400": _resp("`upload_interrupted`", ERROR),
                              "409": _resp("`image_not_queued`", ERROR),
                              "422": _resp("`image_rejected`, details.reason: format_mismatch, multiple_formats, "
                                           "backing_file, data_file, vmdk_extent, iso_with_qcow2, "
                                           "virtual_size_too_large, unsafe_image, malformed, empty", ERROR),
                              **_errors(401, 403, 404, 503)}},
        "get": {"summary": "the bytes (header X-Image-Sha512)",
                "responses": {"200": {"description": "the image", "content": {"application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}}},
                    "409": _resp("`image_not_active`", ERROR), **_errors(401, 404, 503)}},
    },
}


FQDN = {"name": "fqdn", "in": "path", "required": True, "schema": {"type": "string"}}
DNS_PATHS = {
    "/v1/hosts/{id}/names": {"parameters": [ID], "post": {
        "summary": "register a business domain name: CNAME -> the host's fqdn, A -> its vm address "
                   "(RFC 2136 update, verified at the authoritative server)",
        "parameters": [IDEMPOTENCY], "requestBody": _body("RegisterName"),
        "responses": {"202": _resp("queued", OP_REF),
                      "409": _resp("`name_taken` (pointing elsewhere, or another host's; `force` takes it over), "
                                   "`cname_conflict` (a CNAME beside other data), `host_busy`", ERROR),
                      "422": _resp("not a valid FQDN, or `outside_managed_zones`", ERROR),
                      **_errors(400, 401, 403, 404)}}},
    "/v1/hosts/{id}/names/{fqdn}": {"parameters": [ID, FQDN], "delete": {
        "summary": "remove a business domain name of the host (only hostflow's own records)",
        "parameters": [IDEMPOTENCY],
        "responses": {"202": _resp("queued", OP_REF), "404": _resp("`name_not_found`", ERROR),
                      **_errors(401, 403)}}},
    "/v1/dns/records": {"get": {
        "summary": "the record sets hostflow owns (host names, business names), with their state",
        "parameters": [{"name": "host_id", "in": "query", "schema": {"type": "string"}},
                       {"name": "include_deleted", "in": "query", "schema": {"type": "boolean"}}],
        "responses": {"200": _resp("the records", {"type": "object", "properties": {"records": {
            "type": "array", "items": {"type": "object"}}}}), **_errors(401)}}},
}


SHARE_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
SHARE_REF = {"type": "object", "properties": {**OP_REF["properties"], "share": {
    "type": "object", "properties": {"name": {"type": "string"}}}}}
SHARE_PATHS = {
    "/v1/shares": {
        "get": {"summary": "shares (?env=: one environment's)", "responses": {"200": _resp("shares"), **_errors(401)}},
        "post": {"summary": "record a share (admin): its source must lie under a share root (HOSTFLOW_SHARE_ROOTS)",
                 "requestBody": _body("CreateShare"),
                 "responses": {"201": _resp("the share"), "409": _resp("`share_exists`", ERROR),
                               "422": _resp("`share_path_outside_roots` (`..`, or not under a root), "
                                            "`invalid_mount_point`, or a malformed field", ERROR),
                               **_errors(400, 401, 403)}},
    },
    "/v1/shares/{name}": {"parameters": [SHARE_NAME],
                          "get": {"summary": "a share", "responses": {"200": _resp("the share"), **_errors(401, 404)}},
                          "delete": {"summary": "delete a share record no host has attached (admin)",
                                     "responses": {"200": _resp("the deleted share"),
                                                   "409": _resp("`share_in_use`", ERROR),
                                                   **_errors(401, 403, 404)}}},
    "/v1/hosts/{id}/shares": {"parameters": [ID],
        "get": {"summary": "the shares attached to the host", "responses": {"200": _resp("shares"),
                                                                           **_errors(401, 404)}},
        "post": {"summary": "attach a share of the host's environment: export rule (nfs), config drive mount entry, "
                            "device (passthrough: a clean restart), until the guest reports it mounted",
                 "parameters": [IDEMPOTENCY], "requestBody": _body("AttachShare"),
                 "responses": {"202": _resp("queued", SHARE_REF),
                               "409": _resp("`share_already_attached`, `host_busy`", ERROR),
                               "422": _resp("`unknown_share`, `share_other_env`", ERROR),
                               **_errors(400, 401, 403, 404)}}},
    "/v1/hosts/{id}/shares/{name}": {"parameters": [ID, SHARE_NAME], "delete": {
        "summary": "detach a share (the reverse steps; the export rule goes last)", "parameters": [IDEMPOTENCY],
        "responses": {"202": _resp("queued", SHARE_REF), "404": _resp("`unknown_share`, `host_not_found`", ERROR),
                      "409": _resp("`share_not_attached`, `host_busy`", ERROR), **_errors(401, 403)}}},
}


TICKET_REF = {"type": "object", "properties": {**OP_REF["properties"], "created": {
    "type": "boolean", "description": "false: a redelivery, answered with the operation it made"}}}
TICKET_ANSWERS = {
    "200": _resp("no mapping rule matches the event: nothing started", {
        "type": "object", "properties": {"ignored": {"type": "string"}}}),
    "202": _resp("queued; the ticket gets the result when the operation ends", TICKET_REF),
    "404": _resp("a reclaim naming no host (`host_not_found`)", ERROR),
    "422": _resp("`missing_fields` (details.missing: each field and the path the mapping looked at), "
                 "or a value the REST API would refuse", ERROR),
    **_errors(400, 401, 409),
}
CHAT_FORM = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "properties": {k: {"type": "string"} for k in (
        "text", "user_id", "user_name", "channel_id", "response_url", "command", "token")}}}}}
CHAT_ANSWER = {"type": "object", "properties": {"response_type": {"type": "string"}, "text": {"type": "string"}}}
CHAT_ANSWERS = {
    "200": _resp("`{response_type: ephemeral, text}`: the acknowledgement naming the operation, what was read, "
                 "usage help, or a refusal (unlinked user, a viewer's change)", CHAT_ANSWER),
    **_errors(401),
}
TICKET_PATHS = {
    "/v1/webhooks/jira": {"post": {
        "summary": "a Jira issue webhook (`webhookEvent`, `issue`, `user`, `changelog`), mapped by "
                   "HOSTFLOW_JIRA_MAPPING; the result is posted as a comment on the issue",
        "security": [],
        "parameters": [{"name": "X-Hub-Signature", "in": "header", "required": True, "schema": {"type": "string"},
                        "description": "sha256=<HMAC-SHA256 of the raw body with HOSTFLOW_WEBHOOK_SECRET_JIRA>"},
                       {"name": "X-Atlassian-Webhook-Identifier", "in": "header", "schema": {"type": "string"},
                        "description": "the idempotency key: a retried delivery is the same operation"}],
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
