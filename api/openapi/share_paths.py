"""OpenAPI paths of shares: the share records and their attachment to hosts."""
from __future__ import annotations

from api.openapi.fragments import ERROR, ID, IDEMPOTENCY, OP_REF, answer, body, errors

SHARE_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
SHARE_REF = {"type": "object", "properties": {**OP_REF["properties"], "share": {
    "type": "object", "properties": {"name": {"type": "string"}}}}}
SHARE_PATHS = {
    "/v1/shares": {
        "get": {"summary": "shares (?env=: one environment's); an operator token sees its projects' only",
                "parameters": [{"name": "env", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": answer("shares"), **errors(401)}},
        "post": {"summary": "record a share of a project (default: default) in an environment (admin): its source "
                            "must lie under a share root (HOSTFLOW_SHARE_ROOTS)",
                 "requestBody": body("CreateShare"),
                 "responses": {"201": answer("the share"), "409": answer("`share_exists`", ERROR),
                               "422": answer("`share_path_outside_roots` (`..`, or not under a root), "
                                             "`invalid_mount_point`, `read_only_virtiofs_unsupported` (read-only "
                                             "passthrough where the share driver is virtiofs), or a malformed field",
                                             ERROR),
                               **errors(400, 401, 403)}},
    },
    "/v1/shares/{name}": {"parameters": [SHARE_NAME],
                          "get": {"summary": "a share (another project's: 404 for an operator token)",
                                  "responses": {"200": answer("the share"), **errors(401, 404)}},
                          "delete": {"summary": "delete a share record no host has attached (admin)",
                                     "responses": {"200": answer("the deleted share"),
                                                   "409": answer("`share_in_use`", ERROR),
                                                   **errors(401, 403, 404)}}},
    "/v1/hosts/{id}/shares": {"parameters": [ID],
        "get": {"summary": "the shares attached to the host", "responses": {"200": answer("shares"),
                                                                           **errors(401, 404)}},
        "post": {"summary": "attach a share of the host's project and environment: export rule (nfs), config "
                            "drive mount entry, device (passthrough: a clean restart), until the guest reports it "
                            "mounted",
                 "parameters": [IDEMPOTENCY], "requestBody": body("AttachShare"),
                 "responses": {"202": answer("queued", SHARE_REF),
                               "409": answer("`share_already_attached`, `host_busy`", ERROR),
                               "422": answer("`unknown_share` (another project's too), `share_other_env`, "
                                             "`read_only_virtiofs_unsupported`", ERROR),
                               **errors(400, 401, 403, 404)}}},
    "/v1/hosts/{id}/shares/{name}": {"parameters": [ID, SHARE_NAME], "delete": {
        "summary": "detach a share (the reverse steps; the export rule goes last)", "parameters": [IDEMPOTENCY],
        "responses": {"202": answer("queued", SHARE_REF), "404": answer("`unknown_share`, `host_not_found`", ERROR),
                      "409": answer("`share_not_attached`, `host_busy`", ERROR), **errors(401, 403)}}},
}
