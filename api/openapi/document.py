"""The OpenAPI document: the component schemas (api.openapi.schemas) and the paths of each
area (api.openapi.*_paths, api.openapi.identity), with the answers shared parameters bring."""
from __future__ import annotations

import copy

from api.openapi.drift_paths import DRIFT_PATHS
from api.openapi.fragments import DRY_RUN, ERROR, IDEMPOTENCY, answer
from api.openapi.health_paths import HEALTH_PATHS
from api.openapi.host_paths import (
    HOST_IMAGE_PATHS,
    HOST_PATHS,
    HYPERVISOR_PATHS,
    OPERATION_PATHS,
    POWER_PATHS,
    RESIZE_PATHS,
)
from api.openapi.identity import IDENTITY_PATHS
from api.openapi.image_paths import IMAGE_PATHS
from api.openapi.network_paths import DNS_PATHS, NETWORK_PATHS
from api.openapi.schemas import component_schemas
from api.openapi.share_paths import SHARE_PATHS
from api.openapi.volume_paths import BACKUP_PATHS, VOLUME_PATHS
from api.openapi.webhook_paths import GENERIC_WEBHOOK_PATHS, TICKET_PATHS

__all__ = ["DRY_RUN", "IDEMPOTENCY", "all_paths", "document", "with_shared_answers"]


TOO_LARGE = answer("`request_too_large`: the body is over the route's limit (HOSTFLOW_MAX_REQUEST_BYTES, "
                   "a webhook's source's own), refused before it is read", ERROR)
NOT_JSON = answer("`unsupported_media_type`: a body not sent as `Content-Type: application/json`", ERROR)


def with_shared_answers(paths: dict) -> dict:
    """Answers every /v1 call but the webhooks gives: 400 `unknown_parameter` for a query
    parameter it does not take (api.query), 422 `dry_run_not_supported`. Answers a shared
    parameter brings wherever it is used: `dry_run` the plan (200),
    `Idempotency-Key` (required) a 400 when it is missing or invalid and a 422
    `idempotency_key_reused` for a key sent before with another request;
    and a request body's: 413 over the size limit (not a streamed upload's), 415 a token
    route's JSON body sent as anything else (webhooks take any: their senders choose)."""
    paths = copy.deepcopy(paths)  # the entries are module constants
    for path, item in paths.items():
        for op in (v for k, v in item.items() if k != "parameters"):
            params, answers = op.get("parameters", []), op["responses"]
            if path.startswith("/v1/") and not path.startswith("/v1/webhooks/"):
                answers.setdefault("400", answer("bad request", ERROR))
                answers["400"]["description"] += "; `unknown_parameter`: a query parameter the call does not take"
                if op.get("requestBody") or DRY_RUN not in params:
                    answers.setdefault("422", answer("invalid request", ERROR))
                    answers["422"]["description"] += "; `dry_run_not_supported`: `?dry_run` on a call with no plan"
            media = op.get("requestBody", {}).get("content", {})
            if media and "application/octet-stream" not in media:
                answers.setdefault("413", TOO_LARGE)
            if "application/json" in media and not path.startswith("/v1/webhooks/"):
                answers.setdefault("415", NOT_JSON)
            if DRY_RUN in params:
                answers.setdefault("200", answer("plan (dry run)"))
            if IDEMPOTENCY in params:
                answers.setdefault("400", answer("bad request", ERROR))
                answers["400"]["description"] += ("; `idempotency_key_required`: no Idempotency-Key (a dry run "
                                                  "needs none), `idempotency_key_invalid`: over 255 characters "
                                                  "or with a control character")
                answers.setdefault("422", answer("invalid request", ERROR))
                answers["422"]["description"] += "; `idempotency_key_reused`: the key came with another request"
    return paths


def all_paths() -> dict:
    """Every path of the API, in the document's order."""
    return {**HOST_PATHS, **OPERATION_PATHS, **HYPERVISOR_PATHS, **NETWORK_PATHS, **VOLUME_PATHS,
            **BACKUP_PATHS, **RESIZE_PATHS, **POWER_PATHS, **GENERIC_WEBHOOK_PATHS, **TICKET_PATHS, **HOST_IMAGE_PATHS,
            **IMAGE_PATHS, **DNS_PATHS, **SHARE_PATHS, **IDENTITY_PATHS, **DRIFT_PATHS, **HEALTH_PATHS}


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "hostflow", "version": "0.1.0"},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "basic": {"type": "http", "scheme": "basic"}},
            "schemas": component_schemas(),
        },
        "security": [{"bearer": []}],
        "paths": with_shared_answers(all_paths()),
    }
