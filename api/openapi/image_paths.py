"""OpenAPI paths of the image service: image records and their bytes. Each image has an
owner `project` and a `visibility` (private, shared, public); another project's private
image answers exactly as an unknown id (404)."""
from __future__ import annotations

from api.openapi.fragments import ERROR, ID, answer, body, errors

IMAGE_FILTERS = [{"name": n, "in": "query", "schema": {"type": "string"}}
                 for n in ("name", "status", "disk_format", "container_format")]
IMAGE_FILTERS.append({"name": "property-{key}", "in": "query", "schema": {"type": "string"},
                      "description": "images whose property {key} equals the value (repeatable, all must match)"})
STRING, INT = {"type": "string"}, {"type": "integer"}
NULLABLE_STRING, NULLABLE_INT = {"type": ["string", "null"]}, {"type": ["integer", "null"]}
IMAGE_RECORD = {"type": "object", "properties": {
    "id": STRING, "name": STRING, "disk_format": STRING, "container_format": STRING,
    "status": {"enum": ["queued", "saving", "active", "killed", "deleted", "deactivated"]},
    "size": NULLABLE_INT, "virtual_size": NULLABLE_INT, "os_hash_algo": STRING, "os_hash_value": NULLABLE_STRING,
    "checksum": NULLABLE_STRING, "location": NULLABLE_STRING, "kernel_id": NULLABLE_STRING,
    "ramdisk_id": NULLABLE_STRING, "properties": {"type": "object", "additionalProperties": STRING},
    "min_disk_gb": INT, "min_ram_mb": INT, "protected": {"type": "boolean"},
    "status_reason": NULLABLE_STRING, "status_message": NULLABLE_STRING,
    "created_at": STRING, "updated_at": NULLABLE_STRING,
    "project": {"type": "string", "description": "the owner project"},
    "visibility": {"enum": ["private", "shared", "public"],
                   "description": "private: the owner project; shared: also `shared_with`; public: every project"},
    "shared_with": {"type": "array", "items": STRING, "description": "projects a shared image is usable by"},
}}
IMAGE = answer("the image record", {"type": "object", "properties": {"image": {"$ref": "#/components/schemas/Image"}}})
NOT_OWNED = answer("`image_not_owned`: an image the token sees but does not own (or a public one, "
                   "for a token not admin); `visibility_not_allowed`: making it public needs an admin token; "
                   "or a read-only token", ERROR)
NOT_SEEN = answer("`image_not_found`: unknown, or not visible to the token", ERROR)
IMAGE_PATHS = {
    "/v1/images": {
        "post": {"summary": "record an image (`queued`) to upload its bytes to; private to the token's project "
                            "unless `visibility` says otherwise", "requestBody": body("CreateImage"),
                 "responses": {"201": IMAGE,
                               "403": answer("`project_not_allowed` (not the token's), `visibility_not_allowed` "
                                             "(public, for a token not admin), or a read-only token", ERROR),
                               "409": answer("`image_name_taken`: a public image has the name (or, made public, "
                                             "another image has it)", ERROR),
                               "422": answer("invalid request; `project_required` (several projects), "
                                             "`unknown_image` (kernel or ramdisk)", ERROR), **errors(400, 401)}},
        "get": {"summary": "list the images the token may see (deleted ones only with status=deleted)",
                "parameters": IMAGE_FILTERS,
                "responses": {"200": answer("images", {"type": "object", "properties": {"images": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Image"}}}}), **errors(401, 422)}},
    },
    "/v1/images/{id}": {
        "parameters": [ID],
        "get": {"summary": "an image", "responses": {"200": IMAGE, "404": NOT_SEEN, **errors(401)}},
        "patch": {"summary": "edit name, properties (null removes one), minimums, protected, visibility, "
                             "shared_with (JSON merge patch); the owner project or an admin",
                  "requestBody": body("UpdateImage"),
                  "responses": {"200": IMAGE, "403": NOT_OWNED, "404": NOT_SEEN,
                                "409": answer("`image_deleted`, `image_name_taken`", ERROR),
                                **errors(400, 401, 422)}},
        "delete": {"summary": "mark it deleted and remove its object; the owner project or an admin",
                   "responses": {"200": IMAGE, "409": answer("`image_in_use` by a host, `image_protected`", ERROR),
                                 "403": NOT_OWNED, "404": NOT_SEEN, **errors(401)}},
    },
    "/v1/images/{id}/file": {
        "parameters": [ID],
        "put": {"summary": "stream the bytes (`saving`), inspected, then `active`; refused or cut off: `killed`",
                "requestBody": {"required": True, "content": {"application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}}},
                "responses": {"200": IMAGE, "400": answer("`upload_interrupted`", ERROR),
                              "409": answer("`image_not_queued`", ERROR), "403": NOT_OWNED, "404": NOT_SEEN,
                              "422": answer("`image_rejected`, details.reason: format_mismatch, multiple_formats, "
                                            "backing_file, data_file, vmdk_extent, iso_with_qcow2, "
                                           "virtual_size_too_large, unsafe_image, malformed, empty", ERROR),
                              **errors(401, 503)}},
        "get": {"summary": "the bytes (header X-Image-Sha512)",
                "responses": {"200": {"description": "the image", "content": {"application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}}},
                    "409": answer("`image_not_active`", ERROR), "404": NOT_SEEN, **errors(401, 503)}},
    },
}
