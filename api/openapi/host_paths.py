"""OpenAPI paths of hosts: allocate and reclaim, resize, snapshot and rebuild; the operations
they run and the hypervisors they run on."""
from __future__ import annotations

from api.openapi.fragments import DELETE_VOLUMES, DRY_RUN, ERROR, ID, IDEMPOTENCY, OP_REF, answer, body, errors

HOST_PATHS = {
    "/v1/hosts": {
        "post": {"summary": "allocate a host from an image the token may see (by id, or the name of exactly one "
                            "such active image: else `409 image_name_ambiguous`; none: `422 unknown_image`)",
                 "parameters": [DRY_RUN, IDEMPOTENCY],
                 "requestBody": body("AllocateHost"),
                 "responses": {"202": answer("queued", OP_REF), "200": answer("plan (dry run)"),
                               **errors(400, 401, 403, 409, 422, 503)}},
        "get": {"summary": "list hosts",
                "parameters": [{"name": "include_deleted", "in": "query", "schema": {"type": "boolean"}}],
                "responses": {"200": answer("hosts"), **errors(401)}},
    },
    "/v1/hosts/{id}": {
        "parameters": [ID],
        "get": {"summary": "a host", "responses": {"200": answer("host"), **errors(401, 404)}},
        "delete": {"summary": "reclaim a host", "parameters": [DRY_RUN, IDEMPOTENCY, DELETE_VOLUMES],
                   "requestBody": {**body("ReclaimOptions"), "required": False},
                   "responses": {"202": answer("queued", OP_REF), "200": answer("plan (dry run)"),
                                 **errors(400, 401, 403, 404, 409, 422)}},
    },
}

OPERATION_PATHS = {
    "/v1/operations": {"get": {
        "summary": "operations, newest first (no steps); `total` counts every match",
        "parameters": [{"name": "state", "in": "query", "schema": {"type": "string"}},
                       {"name": "kind", "in": "query", "schema": {"type": "string"}},
                       {"name": "limit", "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}],
        "responses": {"200": answer("operations"), **errors(401, 422)}}},
    "/v1/operations/{id}": {"parameters": [ID], "get": {
        "summary": "an operation with its steps; `notify` (pending, sent, failed: retried) and "
                   "`notifications` for one from a ticket", "responses": {"200": answer("operation"),
                                                                **errors(401, 404)}}},
    "/v1/operations/{id}/retry": {"parameters": [ID], "post": {
        "summary": "resume a failed operation", "responses": {"202": answer("queued", OP_REF),
                                                              **errors(401, 403, 404, 409)}}},
}

HYPERVISOR_PATHS = {
    "/v1/hypervisors": {"get": {"summary": "nodes: capacity, claimed, heartbeat",
                                "responses": {"200": answer("hypervisors"), **errors(401)}}},
}

RESIZE_PATHS = {
    "/v1/hosts/{id}/resize": {"parameters": [ID], "post": {
        "summary": "change vCPUs, memory and disk (live where possible)", "parameters": [IDEMPOTENCY],
        "requestBody": body("ResizeHost"),
        "responses": {"202": answer("queued", OP_REF), **errors(400, 401, 403, 404, 409, 422)}}},
    "/v1/hosts/{id}/resize/confirm": {"parameters": [ID], "post": {
        "summary": "keep the new size", "parameters": [IDEMPOTENCY],
        "responses": {"202": answer("queued", OP_REF), **errors(401, 403, 404, 409)}}},
    "/v1/hosts/{id}/resize/revert": {"parameters": [ID], "post": {
        "summary": "back to the old vCPUs and memory (a grown disk stays)", "parameters": [IDEMPOTENCY],
        "responses": {"202": answer("queued", OP_REF), **errors(401, 403, 404, 409)}}},
}

POWER_PATHS = {
    "/v1/hosts/{id}/actions": {"parameters": [ID], "post": {
        "summary": "a power action: start, stop (clean, forced after a timeout; `force`: at once), reboot (`type` "
                   "soft or hard), suspend (memory saved to the node's disk), resume, pause, unpause",
        "parameters": [DRY_RUN, IDEMPOTENCY], "requestBody": body("HostAction"),
        "responses": {"202": answer("queued", OP_REF), "200": answer("plan (dry run)"),
                      "409": answer("host busy or not active (`host_busy`), or an action its power state does not "
                                    "fit (`wrong_power_state`, with the state)", ERROR),
                      **errors(400, 401, 403, 404, 422)}}},
    "/v1/hosts/{id}/power-events": {"parameters": [ID], "get": {
        "summary": "the host's power state changes, newest first: what libvirt's events, the periodic sync and "
                   "hostflow's own actions saw",
        "responses": {"200": answer("events"), **errors(401, 404)}}},
    "/v1/hosts/{id}/console": {"parameters": [ID], "get": {
        "summary": "the serial console's last lines, read by the host's node; ANSI escapes stripped, at most 64 KiB",
        "parameters": [{"name": "lines", "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}}],
        "responses": {"200": answer("console"), **errors(401, 404, 422, 503)}}},
    "/v1/hosts/{id}/console/token": {"parameters": [ID], "post": {
        "summary": "a single-use token (60 s) for an interactive serial console of a running or paused host; "
                   "trade it at `GET /v1/console/ws?token=` (a WebSocket: the console's bytes both ways)",
        "responses": {"201": answer("token, expires_in, websocket (the path to open)"),
                      "409": answer("`console_unavailable`: the guest is not running", ERROR),
                      **errors(401, 403, 404, 503)}}},
    "/v1/hosts/{id}/console/sessions": {"parameters": [ID], "get": {
        "summary": "the host's interactive console sessions, newest first: who, from where, opened, closed "
                   "(never what passed)",
        "responses": {"200": answer("sessions"), **errors(401, 404)}}},
}


HOST_IMAGE_REF = {"type": "object", "properties": {**OP_REF["properties"], "image": {
    "type": "object", "properties": {"id": {"type": "string"}}}}}
HOST_IMAGE_PATHS = {
    "/v1/hosts/{id}/snapshot": {"parameters": [ID], "post": {
        "summary": "a new qcow2 image of the host's root disk (live copy while it runs), `queued` until uploaded, "
                   "private to the host's project; a public image's name: `409 image_name_taken`",
        "parameters": [IDEMPOTENCY], "requestBody": body("SnapshotHost"),
        "responses": {"202": answer("queued; the new image's id", HOST_IMAGE_REF),
                      **errors(400, 401, 403, 404, 409, 422)}}},
    "/v1/hosts/{id}/rebuild": {"parameters": [ID], "post": {
        "summary": "replace the root disk by a new one on the image; id, name, addresses and volumes stay",
        "parameters": [IDEMPOTENCY], "requestBody": body("RebuildHost"),
        "responses": {"202": answer("queued", HOST_IMAGE_REF),
                      "409": answer("host busy or not active (`host_busy`), image not active (`image_not_active`), "
                                    "several active images of that name visible (`image_name_ambiguous`)", ERROR),
                      "422": answer("`unknown_image` (also one the token may not see), `image_not_bootable`, "
                                    "`flavor_disk_too_small`, "
                                    "`flavor_ram_too_small`", ERROR),
                      **errors(400, 401, 403, 404)}}},
}
