from __future__ import annotations

from flask import Blueprint, jsonify

from api.auth import require, services
from api.openapi import document

bp = Blueprint("misc", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/v1/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/v1/hypervisors")
@require()
def hypervisors():
    return jsonify({"hypervisors": services().hypervisors.all()})


@bp.get("/v1/images")
@require()
def images():
    keys = ("id", "name", "disk_format", "container_format", "status", "size", "checksum", "os_hash_algo",
            "os_hash_value", "kernel_id", "ramdisk_id", "properties")
    return jsonify({"images": [{k: i[k] for k in keys} for i in services().images.list()]})
