from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request, stream_with_context

from api.auth import require, services
from api.request_body import json_body
from operations import images as image_service
from operations.image_upload import upload
from operations.images import create_image, delete_image, image_file, list_filters, update_image
from operations.requests import CreateImage, UpdateImage

bp = Blueprint("images", __name__)


@bp.post("/v1/images")
@require(write=True)
def create():
    body = CreateImage.model_validate(json_body())
    return jsonify({"image": create_image(services(), body, g.identity)}), 201


@bp.get("/v1/images")
@require()
def list_images():
    return jsonify({"images": image_service.list_images(services(), g.identity, list_filters(request.args))})


@bp.get("/v1/images/<image_id>")
@require()
def get_image(image_id: str):
    return jsonify({"image": image_service.get_image(services(), image_id, g.identity)})


@bp.patch("/v1/images/<image_id>")
@require(write=True)
def patch_image(image_id: str):
    body = UpdateImage.model_validate(json_body())
    return jsonify({"image": update_image(services(), image_id, body, g.identity)})


@bp.delete("/v1/images/<image_id>")
@require(write=True)
def remove_image(image_id: str):
    return jsonify({"image": delete_image(services(), image_id, g.identity)})


@bp.put("/v1/images/<image_id>/file")
@require(write=True)
def put_file(image_id: str):
    return jsonify({"image": upload(services(), image_id, request.stream, g.identity, request.content_length)})


@bp.get("/v1/images/<image_id>/file")
@require()
def get_file(image_id: str):
    image, size, chunks = image_file(services(), image_id, g.identity)
    headers = {"Content-Length": str(size), "X-Image-Sha512": image["os_hash_value"] or "",
               "Content-Disposition": f'attachment; filename="{image["id"]}"'}
    return Response(stream_with_context(chunks), mimetype="application/octet-stream", headers=headers,
                    direct_passthrough=True)
