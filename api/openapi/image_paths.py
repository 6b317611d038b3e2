"""OpenAPI paths of the image service: image records and their bytes."""
from __future__ import annotations

from api.openapi.fragments import ERROR, ID, answer, body, errors

IMAGE_FILTERS = [{"name": n, "in": "query", "schema": {"type": "string"}}
                 for n in ("name", "status", "disk_format", "container_format")]
IMAGE_FILTERS.append({"name": "property-{key}", "in": "query", "schema": {"type": "string"},
                      "description": "images whose property {key} equals the value (repeatable, all must match)"})
IMAGE = answer("the image record", {"type": "object", "properties": {"image": {"type": "object"}}})
IMAGE_PATHS = {
    "/v1/images": {
        "post": {"summary": "record an image (`queued`) to upload its bytes to", "requestBody": body("CreateImage"),
                 "responses": {"201": IMAGE, **errors(400, 401, 403, 422)}},
        "get": {"summary": "list images (deleted ones only with status=deleted)", "parameters": IMAGE_FILTERS,
                "responses": {"200": answer("images"), **errors(401, 422)}},
    },
    "/v1/images/{id}": {
        "parameters": [ID],
        "get": {"summary": "an image", "responses": {"200": IMAGE, **errors(401, 404)}},
        "patch": {"summary": "edit name, properties (null removes one), minimums, protected (JSON merge patch)",
                  "requestBody": body("UpdateImage"),
                  "responses": {"200": IMAGE, **errors(400, 401, 403, 404, 409, 422)}},
        "delete": {"summary": "mark it deleted and remove its object",
                   "responses": {"200": IMAGE, "409": answer("`image_in_use` by a host, `image_protected`", ERROR),
                                 **errors(401, 403, 404)}},
    },
    "/v1/images/{id}/file": {
        "parameters": [ID],
        "put": {"summary": "stream the bytes (`saving`), inspected, then `active`; refused or cut off: `killed`",
                "requestBody": {"required": True, "content": {"application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}}},
                "responses": {"200": IMAGE, "400": answer("`upload_interrupted`", ERROR),
                              "409": answer("`image_not_queued`", ERROR),
                              "422": answer("`image_rejected`, details.reason: format_mismatch, multiple_formats, "
                                            "backing_file, data_file, vmdk_extent, iso_with_qcow2, "
                                           "virtual_size_too_large, unsafe_image, malformed, empty", ERROR),
                              **errors(401, 403, 404, 503)}},
        "get": {"summary": "the bytes (header X-Image-Sha512)",
                "responses": {"200": {"description": "the image", "content": {"application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}}},
                    "409": answer("`image_not_active`", ERROR), **errors(401, 404, 503)}},
    },
}
