"""The OpenAPI paths of the drift report and its repairs (operations.drift), admin only."""
from __future__ import annotations

from api.openapi.fragments import ERROR, answer, body
from operations.requests import DRIFT_KINDS

ADMIN = {"401": answer("missing or bad token", ERROR), "403": answer("not an admin token", ERROR)}
_KIND = {"type": "string", "enum": list(DRIFT_KINDS)}
_ID = {"type": "string", "pattern": "^[0-9a-f]{16}$"}
FINDING = {"type": "object", "required": ["id", "kind", "subject", "evidence", "suggestion", "safe", "host_id",
                                          "repair"], "properties": {
    "id": {**_ID, "description": "stable across reports while the same thing drifts the same way"},
    "kind": _KIND, "subject": {"type": "string"}, "evidence": {"type": "string"}, "suggestion": {"type": "string"},
    "safe": {"type": "boolean", "description": "`repair` may run unattended"},
    "host_id": {"type": ["string", "null"]},
    "repair": {"type": ["object", "null"], "required": ["function", "request"], "properties": {
        "function": {"type": "string"}, "request": {"type": "object"}}}}}
SOURCE = {"type": "object", "required": ["ok"], "properties": {
    "ok": {"type": "boolean"}, "findings": {"type": "integer"}, "error": {"type": "string"},
    "code": {"type": "string"}}}
REPORT = {"type": "object", "required": ["checked_at", "complete", "sources", "counts", "findings"], "properties": {
    "checked_at": {"type": "string", "format": "date-time"},
    "complete": {"type": "boolean", "description": "every source was read"},
    "sources": {"type": "object", "additionalProperties": SOURCE,
                "description": "claims, leases, dns, objects, exports and `node:<name>` per enabled hypervisor"},
    "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
    "findings": {"type": "array", "items": FINDING}}}
REPAIRED = {"type": "object", "required": ["checked_at", "complete", "repairs", "left"], "properties": {
    "checked_at": {"type": "string", "format": "date-time"}, "complete": {"type": "boolean"},
    "repairs": {"type": "array", "items": {"type": "object", "properties": {
        "finding": _ID, "kind": _KIND, "subject": {"type": "string"}, "operation": {"type": "string"},
        "state": {"type": "string"}}}},
    "left": {"type": "array", "items": FINDING, "description": "the findings asked for that are not safe"}}}
KIND_FILTER = {"name": "kind", "in": "query", "style": "form", "explode": True,
               "schema": {"type": "array", "items": _KIND},
               "description": "only findings of these kinds (repeated, or comma-separated)"}

DRIFT_PATHS = {
    "/v1/drift": {"get": {
        "summary": "the record compared with reality (admin): claims and leases, DNS, object storage, NFS "
                   "exports and each enabled hypervisor's libvirt and disks; a source that cannot be read is "
                   "listed as such and the others are still compared",
        "parameters": [KIND_FILTER],
        "responses": {"200": answer("the report", REPORT),
                      "422": answer("`unknown_filter`: a parameter other than `kind`; `unknown_kind`", ERROR),
                      **ADMIN}}},
    "/v1/drift/repairs": {"post": {
        "summary": "repair the safe findings (admin), each as an operation `repair_drift` keyed by its finding: "
                   "no Idempotency-Key, and asking again answers the same operations",
        "requestBody": {**body("RepairDrift"), "required": False},
        "responses": {"202": answer("the repairs submitted, and the findings left for an operator", REPAIRED),
                      "400": answer("`malformed_json`: not JSON, or not an object", ERROR),
                      "422": answer("`invalid_request`: `findings` not a list of at most 1000 finding ids", ERROR),
                      **ADMIN}}},
}
