"""Where image bytes come from: the object store (`s3://bucket/key`) or, for
images registered without one, a local path. Either way the bytes land under a
temporary name, are checked against their SHA-512, inspected as at upload (format,
safety, virtual size: DESIGN.md "Images: safety"), and only then take the cache
name: a mismatch or a rejected image leaves no cache entry."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from infra.errors import HostflowError, ImageError
from infra.image_inspection import Inspection, inspect_file
from infra.object_store import parse_location
from infra.settings import Settings

CHUNK = 4 << 20


def sha512_of(path: Path) -> str:
    digest = hashlib.sha512()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ImageSource:
    def __init__(self, store=None, max_virtual_size: int = Settings.max_image_virtual_gb << 30):
        self.store = store
        self.max_virtual_size = max_virtual_size

    def fetch(self, location: str, dest: Path, sha512: str, disk_format: str) -> Inspection:
        """Raises ImageError (checksum, download) or ImageRejected (inspection)."""
        tmp = dest.with_name(dest.name + ".part")
        try:
            self._copy(location, tmp)
            if sha512_of(tmp) != sha512:
                raise ImageError(f"image at {location} does not match its SHA-512", code="image_checksum_mismatch")
            inspection = inspect_file(tmp, disk_format, self.max_virtual_size)
        except HostflowError:
            tmp.unlink(missing_ok=True)
            raise
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ImageError(f"image download from {location} failed: {exc}", code="image_unavailable") from exc
        os.chmod(tmp, 0o640)  # the cache dir gives QEMU's group (functions/node.py)
        tmp.replace(dest)
        return inspection

    def _copy(self, location: str, tmp: Path) -> None:
        if location.startswith("s3://"):
            if self.store is None:
                raise ImageError(f"{location}: this node has no object store configured", code="image_unavailable")
            bucket, key = parse_location(location)
            self.store.download_file(bucket, key, tmp)
            return
        with open(location, "rb") as src, open(tmp, "wb") as out:
            while chunk := src.read(CHUNK):
                out.write(chunk)
