from __future__ import annotations

from sqlalchemy import or_, select, update

from infra.db.engine import Database
from infra.db.models import Host, Image, iso, utcnow
from infra.errors import NotFound

LISTED_WITHOUT_FILTER = ("queued", "saving", "active", "killed", "deactivated")


class ImageStore:
    def __init__(self, db: Database):
        self.db = db

    def get(self, ref: str) -> dict:
        """An image by id (what the flows use: their operations carry the image's id), or
        the newest active image of that name, whoever may see it: set-up and tests only.
        A name a caller gives goes through `operations.image_access.resolve_image`, among
        the images that caller may see."""
        with self.db.reading() as s:
            image = s.get(Image, ref)
            if image is None:
                image = s.scalars(select(Image).where(Image.name == ref, Image.status == "active")
                                  .order_by(Image.created_at.desc()).limit(1)).first()
            if image is None:
                raise NotFound(f"image {ref!r} not found", code="unknown_image")
            return view(image)

    def list(self, name: str | None = None, status: str | None = None, disk_format: str | None = None,
             container_format: str | None = None, properties: dict | None = None) -> list[dict]:
        """Deleted images only when asked for by status; properties: all must be equal."""
        q = select(Image).order_by(Image.created_at)
        q = q.where(Image.status == status) if status else q.where(Image.status.in_(LISTED_WITHOUT_FILTER))
        for column, value in ((Image.name, name), (Image.disk_format, disk_format),
                              (Image.container_format, container_format)):
            if value is not None:
                q = q.where(column == value)
        with self.db.reading() as s:
            images = [view(i) for i in s.scalars(q)]
        wanted = (properties or {}).items()
        return [i for i in images if all(i["properties"].get(k) == v for k, v in wanted)]

    def by_id(self, image_id: str) -> dict:
        with self.db.reading() as s:
            image = s.get(Image, image_id)
            if image is None:
                raise NotFound(f"image {image_id} not found", code="image_not_found")
            return view(image)

    def transition(self, image_id: str, expected: set[str], status: str, **fields) -> bool:
        """Compare-and-swap of the status: False if the image was not in `expected`."""
        with self.db.session() as s:
            result = s.execute(update(Image).where(Image.id == image_id, Image.status.in_(expected))
                               .values(status=status, updated_at=utcnow(), **fields))
            return result.rowcount == 1

    def edit(self, image_id: str, **fields) -> dict:
        with self.db.session() as s:
            image = s.get(Image, image_id)
            for key, value in fields.items():
                setattr(image, key, value)
            image.updated_at = utcnow()
            s.flush()
            return view(image)

    def in_use_by(self, image_id: str) -> list[str]:
        """Hosts not deleted whose root disk is this image, or boots with it as kernel or ramdisk."""
        booting = select(Image.id).where(or_(Image.kernel_id == image_id, Image.ramdisk_id == image_id))
        with self.db.reading() as s:
            return list(s.scalars(select(Host.id).where(
                Host.state != "deleted", or_(Host.image_id == image_id, Host.image_id.in_(booting)))))

    def location_shared(self, location: str, image_id: str) -> bool:
        """Content-addressed objects (register-image-dir) may back several records."""
        with self.db.reading() as s:
            return s.scalar(select(Image.id).where(Image.location == location, Image.id != image_id,
                                                   Image.status != "deleted").limit(1)) is not None

    def find_by_hash(self, name: str, sha512: str) -> dict | None:
        """A registration's earlier record of these bytes: public ones only (a project's
        own upload of the same file under that name is not the registration's)."""
        with self.db.reading() as s:
            image = s.scalars(select(Image).where(Image.name == name, Image.os_hash_value == sha512,
                                                  Image.visibility == "public")
                              .order_by(Image.created_at.desc()).limit(1)).first()
            return view(image) if image else None

    def named(self, name: str, statuses: tuple[str, ...] = ("active",), except_id: str | None = None) -> list[dict]:
        """Every image of that name in those states, whoever owns it, oldest first."""
        q = select(Image).where(Image.name == name, Image.status.in_(statuses)).order_by(Image.created_at)
        if except_id is not None:
            q = q.where(Image.id != except_id)
        with self.db.reading() as s:
            return [view(i) for i in s.scalars(q)]

    def deactivate_stale(self, name: str, keep_id: str) -> int:
        """Marks the other active records of a re-registered image name deactivated: those
        of the same owner and visibility (another project's image of that name stays)."""
        with self.db.session() as s:
            keep = s.get(Image, keep_id)
            rows = s.scalars(select(Image).where(Image.name == name, Image.id != keep_id, Image.status == "active",
                                                 Image.project == keep.project,
                                                 Image.visibility == keep.visibility)).all()
            for row in rows:
                row.status = "deactivated"
            return len(rows)

    def activate(self, image_id: str) -> None:
        with self.db.session() as s:
            s.get(Image, image_id).status = "active"

    def add(self, visibility: str = "public", project: str = "default", **fields) -> dict:
        """Without an owner, an image everyone sees (what set-up registers); the API's
        create names its owner and visibility."""
        with self.db.session() as s:
            image = Image(visibility=visibility, project=project, **fields)
            s.add(image)
            s.flush()
            return view(image)


def view(i: Image) -> dict:
    return {
        "id": i.id, "name": i.name, "disk_format": i.disk_format, "container_format": i.container_format,
        "status": i.status, "size": i.size, "os_hash_algo": i.os_hash_algo, "os_hash_value": i.os_hash_value,
        "checksum": i.os_hash_value, "location": i.location, "kernel_id": i.kernel_id,
        "ramdisk_id": i.ramdisk_id, "properties": i.properties or {},
        "virtual_size": i.virtual_size, "min_disk_gb": i.min_disk_gb or 0, "min_ram_mb": i.min_ram_mb or 0,
        "protected": bool(i.protected), "status_reason": i.status_reason, "status_message": i.status_message,
        "created_at": iso(i.created_at), "updated_at": iso(i.updated_at),
        "project": i.project, "visibility": i.visibility, "shared_with": list(i.shared_with or []),
    }
