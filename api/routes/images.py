from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, stream_with_context

from api.auth import require, services
from api.request_body import json_body
from operations.image_upload import upload
from operations.images import create_image, delete_image, image_file, list_filters, update_image
from operations.requests import CreateImage, UpdateImage

bp = Blueprint("images", __name__)


@bp.post("/v1/images")
@require(write=True)
def create():
    body = CreateImage.model_validate(json_body())
    return jsonify({"image": create_image(services(), body)}), 201


@bp.get("/v1/images")
@require()
def list_images():
    return jsonify({"images": services().images.list(**list_filters(request.args))})


@bp.get("/v1/images/<image_id>")
@require()
def get_image(image_id: str):
    return jsonify({"image": services().images.by_id(image_id)})


@bp.patch("/v1/images/<image_id>")
@require(write=True)
def patch_image(image_id: str):
    body = UpdateImage.model_validate(json_body())
    return jsonify({"image": update_image(services(), image_id, body)})


@bp.delete("/v1/images/<image_id>")
@require(write=True)
def remove_image(image_id: str):
    return jsonify({"image": delete_image(services(), image_id)})


@bp.put("/v1/images/<image_id>/file")
@require(write=True)
def put_file(image_id: str):
    return jsonify({"image": upload(services(), image_id, request.stream, request.content_length)})


@bp.get("/v1/images/<image_id>/file")
@require()
def get_file(image_id: str):
    image, size, chunks = image_file(services(), image_id)
    headers = {"Content-Length": str(size), "X-Image-Sha512": image["os_hash_value"] or "",
               "Content-Disposition": f'attachment; filename="{image["id"]}"'}
    return Response(stream_with_context(chunks), mimetype="application/octet-stream", headers=headers,
                    direct_passthrough=True)
