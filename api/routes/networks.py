"""Networks: records an admin manages; hypervisors converge on them (functions.networks)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.auth import require, services
from api.request_body import json_body
from operations.networks import CreateNetwork

bp = Blueprint("networks", __name__)


@bp.get("/v1/networks")
@require()
def list_networks():
    return jsonify({"networks": services().networks.list(request.args.get("env"))})


@bp.get("/v1/networks/<name>")
@require()
def get_network(name: str):
    return jsonify({"network": services().networks.get(name)})


@bp.post("/v1/networks")
@require(write=True, admin=True)
def create_network():
    body = CreateNetwork.model_validate(json_body())
    return jsonify({"network": services().networks.create(body.record())}), 201


@bp.delete("/v1/networks/<name>")
@require(write=True, admin=True)
def delete_network(name: str):
    return jsonify({"network": services().networks.delete(name)})
