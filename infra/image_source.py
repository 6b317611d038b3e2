"""Where image bytes come from. For now a local image directory; the object store
adapter (S3) will slot in behind the same two methods."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from infra.errors import ImageError

CHUNK = 4 << 20


def sha512_of(path: Path) -> str:
    digest = hashlib.sha512()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class LocalImageSource:
    def fetch(self, location: str, dest: Path, sha512: str) -> None:
        """Copies the bytes to dest, verifying SHA-512 before dest exists."""
        tmp = dest.with_name(dest.name + ".part")
        digest = hashlib.sha512()
        try:
            with open(location, "rb") as src, open(tmp, "wb") as out:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ImageError(f"image download from {location} failed: {exc}", code="image_unavailable") from exc
        if digest.hexdigest() != sha512:
            tmp.unlink(missing_ok=True)
            raise ImageError(f"image at {location} does not match its SHA-512", code="image_checksum_mismatch")
        os.chmod(tmp, 0o644)
        tmp.replace(dest)
