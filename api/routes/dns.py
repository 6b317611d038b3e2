from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from api.auth import require, services
from api.origin import from_api
from api.request_body import json_body
from api.views import operation_ref
from operations.dns import list_records, submit_register, submit_remove
from operations.requests import RegisterName
from operations.scoping import only_visible, project_by_id

bp = Blueprint("dns", __name__)



def _accepted(op: dict, host_id: str):
    body = {"operation": operation_ref(op), "host": {"id": host_id}, "fqdn": op["params"]["fqdn"]}
    return jsonify(body), 202, {"Location": operation_ref(op)["url"]}


@bp.post("/v1/hosts/<host_id>/names")
@require(write=True)
def register_name(host_id: str):
    op = submit_register(services(), host_id, RegisterName.model_validate(json_body()), from_api())
    return _accepted(op, host_id)


@bp.delete("/v1/hosts/<host_id>/names/<fqdn>")
@require(write=True)
def remove_name(host_id: str, fqdn: str):
    return _accepted(submit_remove(services(), host_id, fqdn, from_api()), host_id)


@bp.get("/v1/dns/records")
@require()
def records():
    include = request.args.get("include_deleted", "").lower() in {"1", "true"}
    svc = services()
    records = list_records(svc, request.args.get("host_id"), include)
    return jsonify({"records": only_visible(g.identity, records, project_by_id(svc.hosts, "host_id"))})
