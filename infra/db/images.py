from __future__ import annotations

from sqlalchemy import select

from infra.db.engine import Database
from infra.db.models import Image
from infra.errors import NotFound


class ImageStore:
    def __init__(self, db: Database):
        self.db = db

    def get(self, ref: str) -> dict:
        """An image by id, or the newest active image of that name (a rebuilt image
        registers as a new record under the same name)."""
        with self.db.session() as s:
            image = s.get(Image, ref)
            if image is None:
                image = s.scalars(select(Image).where(Image.name == ref, Image.status == "active")
                                  .order_by(Image.created_at.desc()).limit(1)).first()
            if image is None:
                raise NotFound(f"image {ref!r} not found", code="unknown_image")
            return view(image)

    def list(self) -> list[dict]:
        with self.db.session() as s:
            return [view(i) for i in s.scalars(select(Image).order_by(Image.created_at))]

    def find_by_hash(self, name: str, sha512: str) -> dict | None:
        with self.db.session() as s:
            image = s.scalars(select(Image).where(Image.name == name, Image.os_hash_value == sha512)
                              .order_by(Image.created_at.desc()).limit(1)).first()
            return view(image) if image else None

    def deactivate_stale(self, name: str, keep_id: str) -> int:
        """Marks the other active records of a re-registered image name deactivated."""
        with self.db.session() as s:
            rows = s.scalars(select(Image).where(Image.name == name, Image.id != keep_id,
                                                 Image.status == "active")).all()
            for row in rows:
                row.status = "deactivated"
            return len(rows)

    def activate(self, image_id: str) -> None:
        with self.db.session() as s:
            s.get(Image, image_id).status = "active"

    def add(self, **fields) -> dict:
        with self.db.session() as s:
            image = Image(**fields)
            s.add(image)
            s.flush()
            return view(image)


def view(i: Image) -> dict:
    return {
        "id": i.id, "name": i.name, "disk_format": i.disk_format, "container_format": i.container_format,
        "status": i.status, "size": i.size, "os_hash_algo": i.os_hash_algo, "os_hash_value": i.os_hash_value,
        "checksum": i.os_hash_value, "location": i.location, "kernel_id": i.kernel_id,
        "ramdisk_id": i.ramdisk_id, "properties": i.properties or {},
    }
