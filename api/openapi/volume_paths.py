"""OpenAPI paths of block volumes (create, extend, attach to a host) and their backups."""
from __future__ import annotations

from api.openapi.fragments import DRY_RUN, ID, IDEMPOTENCY, OP_REF, answer, body, errors

VOLUME_PATHS = {
    "/v1/volumes": {
        "post": {"summary": "create a volume", "parameters": [DRY_RUN, IDEMPOTENCY],
                 "requestBody": body("CreateVolume"),
                 "responses": {"202": answer("queued", OP_REF), **errors(400, 401, 403, 409, 422)}},
        "get": {"summary": "list volumes", "responses": {"200": answer("volumes"), **errors(401)}},
    },
    "/v1/volumes/{id}": {
        "parameters": [ID],
        "get": {"summary": "a volume", "responses": {"200": answer("volume"), **errors(401, 404)}},
        "delete": {"summary": "delete a volume", "parameters": [DRY_RUN, IDEMPOTENCY],
                   "responses": {"202": answer("queued", OP_REF), **errors(401, 403, 404, 409)}},
    },
    "/v1/volumes/{id}/extend": {"parameters": [ID], "post": {
        "summary": "grow a volume (live when attached)", "parameters": [DRY_RUN, IDEMPOTENCY],
        "responses": {"202": answer("queued", OP_REF), **errors(400, 401, 403, 404, 409, 422)}}},
    "/v1/hosts/{id}/volumes": {"parameters": [ID], "post": {
        "summary": "attach a volume (live)", "parameters": [DRY_RUN, IDEMPOTENCY],
        "requestBody": body("AttachVolume"),
        "responses": {"202": answer("queued", OP_REF), **errors(400, 401, 403, 404, 409, 422)}}},
    "/v1/hosts/{id}/volumes/{volume_id}": {
        "parameters": [ID, {"name": "volume_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "delete": {"summary": "detach a volume", "parameters": [DRY_RUN, IDEMPOTENCY],
                   "responses": {"202": answer("queued", OP_REF), **errors(401, 403, 404, 409)}}},
}

BACKUP_PATHS = {
    "/v1/volumes/{id}/backups": {"parameters": [ID], "post": {
        "summary": "back a volume up to object storage (incremental: on its newest backup)",
        "parameters": [IDEMPOTENCY], "requestBody": {**body("CreateBackup"), "required": False},
        "responses": {"202": answer("queued", OP_REF), **errors(400, 401, 403, 404, 409, 422)}}},
    "/v1/backups": {"get": {
        "summary": "list backups", "parameters": [{"name": "volume_id", "in": "query", "schema": {"type": "string"}},
                                                  {"name": "include_deleted", "in": "query",
                                                   "schema": {"type": "boolean"}}],
        "responses": {"200": answer("backups"), **errors(401)}}},
    "/v1/backups/{id}": {
        "parameters": [ID],
        "get": {"summary": "a backup", "responses": {"200": answer("backup"), **errors(401, 404)}},
        "delete": {"summary": "delete a backup and its objects", "parameters": [IDEMPOTENCY],
                   "responses": {"202": answer("queued", OP_REF), **errors(401, 403, 404, 409)}}},
    "/v1/backups/{id}/restore": {"parameters": [ID], "post": {
        "summary": "restore onto a new volume or an available one", "parameters": [IDEMPOTENCY],
        "requestBody": {**body("RestoreBackup"), "required": False},
        "responses": {"202": answer("queued", OP_REF), **errors(400, 401, 403, 404, 409, 422)}}},
}
