"""The OpenAPI path of the health report (operations.health). The liveness probe
`GET /healthz` is left out: it takes no token, and the document's operations all do."""
from __future__ import annotations

from api.openapi.fragments import answer, errors

_CHECK = {"type": "object", "required": ["ok"], "properties": {
    "ok": {"type": "boolean"}, "ms": {"type": "number"}, "error": {"type": "string"}}}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_SWEEP = {"type": "object", "properties": {
    "interval_s": {"type": "integer"}, "last_success": _TIME,
    "age_s": {"type": ["number", "null"], "description": "seconds since the last success"},
    "last_outcome": {"type": ["string", "null"], "enum": ["succeeded", "failed", None]},
    "last_error": {"type": ["string", "null"]}, "last_error_at": _TIME, "last_started": _TIME,
    "duration_s": {"type": ["number", "null"]}, "last_result": {"type": ["string", "null"]},
    "scheduled_since": _TIME}}
HEALTH = {"type": "object", "required": ["status", "problems", "dependencies"], "properties": {
    "status": {"type": "string", "enum": ["ok", "degraded"]},
    "problems": {"type": "array", "items": {"type": "string"}},
    "checked_at": {"type": "string", "format": "date-time"},
    "dependencies": {"type": "object", "properties": {"database": _CHECK, "redis": _CHECK, "prefect": _CHECK}},
    "workers": {"type": ["object", "null"], "additionalProperties": {"type": "integer"},
                "description": "live workers per queue; null when Redis does not answer"},
    "sweeps": {"type": ["object", "null"], "additionalProperties": _SWEEP,
               "description": "each scheduled sweep by name; null when Redis does not answer"},
    "drift": {"type": ["object", "null"], "description": "the last drift report of the `drift` sweep "
              "(GET /v1/drift has its findings); null before its first success",
              "properties": {"findings": {"type": "integer"}, "complete": {"type": "boolean"},
                             "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                             "checked_at": _TIME}}}}

HEALTH_PATHS = {
    "/v1/healthz": {"get": {
        "summary": "the control plane's health (any token): database, Redis, Prefect, live workers per queue, "
                   "each sweep's last success and error; `degraded` with its `problems` (a dependency down, a "
                   "queue with no live worker, a sweep that failed or has not succeeded for 3 intervals)",
        "responses": {"200": answer("the report, `ok` or `degraded`", HEALTH), **errors(401)}}},
}
