"""The image service (Glance-like) behind api/routes/images.py: records in the database,
bytes in the image bucket. The upload itself is operations/image_upload.py. Each call
takes the token's identity: what it may see and change is operations/image_access.py."""
from __future__ import annotations

import logging

from infra.errors import Conflict, Invalid, NotFound
from infra.object_store import parse_location
from operations.image_access import (
    changeable_image,
    check_name_free,
    may_make_public,
    may_see,
    only_seen,
    seen_image,
)
from operations.image_upload import objects
from operations.scoping import Forbidden, scoped, sees_for
from operations.services import Services

log = logging.getLogger("hostflow.api.images")
FILTERS = {"name", "status", "disk_format", "container_format"}
PROPERTY_FILTER = "property-"
DOWNLOADABLE = {"active", "deactivated"}


def list_filters(args) -> dict:
    """?name=&status=&disk_format=&container_format=&property-<key>=<value>"""
    filters: dict = {"properties": {}}
    for key, value in args.items():
        if key.startswith(PROPERTY_FILTER) and len(key) > len(PROPERTY_FILTER):
            filters["properties"][key.removeprefix(PROPERTY_FILTER)] = value
        elif key in FILTERS:
            filters[key] = value
        else:
            raise Invalid(f"unknown filter {key!r}: one of {', '.join(sorted(FILTERS))} or property-<key>",
                          code="unknown_filter")
    return filters


def list_images(svc: Services, identity: dict, filters: dict) -> list[dict]:
    """Those the token may see."""
    return only_seen(svc.images.list(**filters), sees_for(identity))


def get_image(svc: Services, image_id: str, identity: dict) -> dict:
    return seen_image(svc, image_id, sees_for(identity))


def create_image(svc: Services, body, identity: dict) -> dict:
    fields = body.model_dump()
    fields["project"] = owner_project(identity, body.project)
    if body.visibility == "public":
        may_make_public(identity)
    for field, fmt in (("kernel_id", "aki"), ("ramdisk_id", "ari")):
        if fields[field] is not None:
            _check_boot_image(svc, body, field, fmt, identity)
    check_name_free(svc, body.name, body.visibility)
    return svc.images.add(status="queued", **fields)


def owner_project(identity: dict, asked: str | None) -> str:
    """The project a token's new image belongs to: the one it names (its own, unless an
    admin), else its one project, else `default` for an admin."""
    projects = list(identity.get("projects") or [])
    if asked is not None:
        if scoped(identity) and asked not in projects:
            raise Forbidden(f"this token may not create in project {asked!r}", code="project_not_allowed")
        return asked
    if len(projects) == 1:
        return projects[0]
    if not scoped(identity):
        return "default"
    if not projects:
        raise Forbidden("this token has no project to create an image in", code="project_not_allowed")
    raise Invalid(f"this token has several projects ({', '.join(projects)}): name one as `project`",
                  code="project_required")


def _check_boot_image(svc: Services, body, field: str, fmt: str, identity: dict) -> None:
    if "ami" not in (body.disk_format, body.container_format):
        raise Invalid(f"{field} is only for ami images (direct kernel boot)", code="boot_image_needs_ami")
    ref = getattr(body, field)
    try:
        image = svc.images.by_id(ref)
    except NotFound:
        image = None
    if image is None or not may_see(image, sees_for(identity)):
        raise Invalid(f"{field}: image {ref} does not exist", code="unknown_image")
    if image["disk_format"] != fmt or image["status"] in {"killed", "deleted"}:
        raise Invalid(f"{field}: image {ref} is a {image['status']} {image['disk_format']} image, "
                      f"not a usable {fmt}", code="invalid_boot_image")


def update_image(svc: Services, image_id: str, body, identity: dict) -> dict:
    image = changeable_image(svc, image_id, identity)
    if image["status"] == "deleted":
        raise Conflict(f"image {image_id} is deleted", code="image_deleted")
    changes = body.model_dump(exclude_unset=True)
    if "properties" in changes:
        merged = {**image["properties"], **changes["properties"]}
        changes["properties"] = {k: v for k, v in merged.items() if v is not None}
    visibility = changes.get("visibility", image["visibility"])
    if visibility == "public" and image["visibility"] != "public":
        may_make_public(identity)
    name = changes.get("name", image["name"])
    if (name, visibility) != (image["name"], image["visibility"]):
        check_name_free(svc, name, visibility, image_id)
    return svc.images.edit(image_id, **changes)


def delete_image(svc: Services, image_id: str, identity: dict) -> dict:
    """Deleting a deleted image removes what may be left of its object and changes nothing else."""
    image = changeable_image(svc, image_id, identity)
    if image["status"] != "deleted":
        if image["protected"]:
            raise Conflict(f"image {image_id} is protected", code="image_protected")
        hosts = svc.images.in_use_by(image_id)
        if hosts:
            raise Conflict(f"image {image_id} is in use by {len(hosts)} host(s)", code="image_in_use",
                           details={"hosts": hosts[:20]})
        if not svc.images.transition(image_id, {image["status"]}, "deleted"):
            raise Conflict(f"image {image_id} changed while it was being deleted; try again", code="image_busy")
    _remove_object(svc, image)
    return svc.images.by_id(image_id)


def _remove_object(svc: Services, image: dict) -> None:
    location = image["location"] or ""
    if location.startswith("s3://") and not svc.images.location_shared(location, image["id"]):
        bucket, key = parse_location(location)
        objects(svc).delete(bucket, key)


def image_file(svc: Services, image_id: str, identity: dict):
    """(image, size, chunks) of an image's bytes as they are read from the object store."""
    image = get_image(svc, image_id, identity)
    if image["status"] not in DOWNLOADABLE:
        raise Conflict(f"image {image_id} is {image['status']}: it has no data", code="image_not_active",
                       details={"status": image["status"]})
    if not (image["location"] or "").startswith("s3://"):
        raise Conflict(f"image {image_id} is not in object storage", code="image_not_stored")
    size, chunks = objects(svc).open_stream(*parse_location(image["location"]))
    return image, size, chunks
