"""API tokens, managed by an admin. A token's secret is in the creation answer only."""
from __future__ import annotations

from flask import Blueprint, jsonify

from api.auth import require, services
from api.request_body import json_body
from operations.requests import CreateToken

bp = Blueprint("tokens", __name__)

@bp.post("/v1/tokens")
@require(write=True, admin=True)
def create_token():
    body = CreateToken.model_validate(json_body())
    secret, token = services().tokens.issue(body.name, body.role, sorted(set(body.projects)))
    return jsonify({"token": {**token, "secret": secret}}), 201


@bp.get("/v1/tokens")
@require(admin=True)
def list_tokens():
    return jsonify({"tokens": services().tokens.list()})


@bp.delete("/v1/tokens/<token_id>")
@require(write=True, admin=True)
def revoke_token(token_id: str):
    return jsonify({"token": services().tokens.revoke(token_id)})
