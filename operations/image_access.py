"""Who may see and change an image, and the one image a caller's reference names.

As in Glance, an image belongs to a `project` and is `private` (that project's),
`shared` (that project's and those in `shared_with`) or `public` (everyone's). `sees`
is the caller's predicate over projects, as `lookup.find_host` takes it: a token's
(`scoping.sees_for`), a chat user's, a Prefect UI run's (its one project), or every
project (an admin, and callers whose projects are not known: tickets). An image the
caller may not see is exactly as absent as an unknown id; one it sees but does not own
answers `403 image_not_owned` to a change."""
from __future__ import annotations

from collections.abc import Callable

from infra.errors import Conflict, Invalid, NotFound
from operations.lookup import everyone
from operations.scoping import Forbidden, sees_for
from operations.services import Services

VISIBILITIES = ("private", "shared", "public")
ROOT_DISK_FORMATS = frozenset({"qcow2", "raw", "ami", "vmdk", "vdi", "vhd", "vhdx"})  # a host boots from these
LIVE = ("queued", "saving", "active")  # the states in which an image holds its name
Sees = Callable[[str], bool]


def may_see(image: dict, sees: Sees) -> bool:
    if image["visibility"] == "public" or sees(image["project"]):
        return True
    return image["visibility"] == "shared" and any(sees(p) for p in image["shared_with"])


def only_seen(images: list[dict], sees: Sees) -> list[dict]:
    return images if sees is everyone else [i for i in images if may_see(i, sees)]


def not_found(image_id: str) -> NotFound:
    """What an unknown id gets (ImageStore.by_id), word for word."""
    return NotFound(f"image {image_id} not found", code="image_not_found")


def seen_image(svc: Services, image_id: str, sees: Sees) -> dict:
    image = svc.images.by_id(image_id)
    if not may_see(image, sees):
        raise not_found(image_id)
    return image


def changeable_image(svc: Services, image_id: str, identity: dict) -> dict:
    """An image the token may change (PATCH, DELETE, upload): its project's, or any for an
    admin. A public image is every project's, so only an admin changes it."""
    sees = sees_for(identity)
    image = seen_image(svc, image_id, sees)
    if identity["role"] != "admin" and (image["visibility"] == "public" or not sees(image["project"])):
        whose = "public" if image["visibility"] == "public" else f"project {image['project']}'s"
        raise Forbidden(f"image {image_id} is {whose}: this token may not change it", code="image_not_owned")
    return image


def may_make_public(identity: dict) -> None:
    if identity["role"] != "admin":
        raise Forbidden("only an admin token may make an image public", code="visibility_not_allowed")


def check_name_free(svc: Services, name: str, visibility: str, image_id: str | None = None) -> None:
    """A public image's name is its alone: no other image (queued, saving or active) takes
    it, and an image is not made public under a name another such image has."""
    others = svc.images.named(name, LIVE, except_id=image_id)
    clash = others if visibility == "public" else [i for i in others if i["visibility"] == "public"]
    if clash:
        whose = "another image's" if visibility == "public" else "a public image's"
        raise Conflict(f"image name {name!r} is {whose}", code="image_name_taken")


def resolve_image(svc: Services, ref: str, sees: Sees = everyone) -> dict:
    """The image `ref` names for this caller: the one with that id, else the one active
    image of that name among those it may see (`409 image_name_ambiguous`, with their
    ids, if several are); none: `404 unknown_image`. Every request naming an image to
    allocate or rebuild from comes here; the flows then go by the id it found."""
    try:
        image = svc.images.by_id(ref)
    except NotFound:
        image = None
    if image is not None and may_see(image, sees):
        return image
    named = only_seen(svc.images.named(ref), sees)
    if len(named) > 1:
        ids = [i["id"] for i in named]
        raise Conflict(f"{len(named)} active images named {ref!r}: give the id of one", code="image_name_ambiguous",
                       details={"ids": ids})
    if not named:
        raise NotFound(f"image {ref!r} not found", code="unknown_image")
    return named[0]


def image_to_use(svc: Services, ref: str, sees: Sees = everyone) -> dict:
    """resolve_image for a request's body: an unknown (or unseen) image is its `422 unknown_image`."""
    try:
        return resolve_image(svc, ref, sees)
    except NotFound as exc:
        raise Invalid(exc.message, code="unknown_image") from exc


def require_bootable(image: dict, iso: bool = False) -> None:
    """A kernel or ramdisk (`aki`, `ari`) is refused at once: it would fail later in the
    root disk step with qemu-img's words. An ISO boots a new host (iso=True: allocate),
    from its cdrom beside a blank root disk; a rebuild replaces a root disk, which an ISO
    is not."""
    if image["disk_format"] not in ROOT_DISK_FORMATS | ({"iso"} if iso else set()):
        raise Invalid(f"image {image['id']} is a {image['disk_format']} image, not a root disk",
                      code="image_not_bootable", details={"disk_format": image["disk_format"]})
