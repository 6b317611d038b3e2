"""Image records the host operations create and consult: a snapshot's image
(`queued` -> `saving` -> `active`, or `killed` with a reason) and what an image
asks of the host that boots it (min_disk_gb, min_ram_mb, virtual size)."""
from __future__ import annotations

from sqlalchemy import update

from infra.db.engine import Database
from infra.db.models import Image, utcnow
from infra.errors import NotFound


class ImageLifecycle:
    def __init__(self, db: Database):
        self.db = db

    def swap(self, image_id: str, from_states: set[str], to_state: str, **fields) -> bool:
        """Compare-and-swap on the status; True if this call moved it."""
        with self.db.session() as s:
            result = s.execute(update(Image).where(Image.id == image_id, Image.status.in_(from_states))
                               .values(status=to_state, updated_at=utcnow(), **fields))
            return result.rowcount == 1

    def requirements(self, image_id: str) -> dict:
        with self.db.session() as s:
            image = s.get(Image, image_id)
            if image is None:
                raise NotFound(f"image {image_id!r} not found", code="unknown_image")
            return {"min_disk_gb": image.min_disk_gb or 0, "min_ram_mb": image.min_ram_mb or 0,
                    "virtual_size": image.virtual_size, "status_reason": image.status_reason}


# what a snapshot keeps of its source image's properties: how it boots and proves it is up
INHERITED = frozenset({"os_command_line", "hostflow_readiness", "hw_qemu_guest_agent", "hw_firmware_type",
                       "os_distro", "os_version", "os_default_user"})


def snapshot_record(image_id: str, name: str, host: dict, source: dict | None) -> Image:
    """A queued qcow2 image of the host's root disk, private to the host's project. Like
    Nova, it inherits the source image's kernel, ramdisk, command line and the properties
    that say how it boots and proves it is up (INHERITED), so it boots as the host did."""
    source = source or {}
    props = {"source_host_id": host["id"], "image_type": "snapshot"}
    if source.get("id"):
        props["base_image_ref"] = source["id"]
    for key in ("kernel_id", "ramdisk_id"):
        if source.get(key):
            props[key] = source[key]
    props |= {k: v for k, v in source.get("properties", {}).items() if k in INHERITED}
    return Image(id=image_id, name=name, disk_format="qcow2", container_format="bare", status="queued",
                 kernel_id=source.get("kernel_id"), ramdisk_id=source.get("ramdisk_id"), properties=props,
                 min_disk_gb=host["flavor"]["disk_gb"], min_ram_mb=0, project=host["project"], visibility="private",
                 shared_with=[])
