"""NoCloud config drive (ISO 9660, label cidata) built with pycdlib.

Contents are bytes: user-data is the user's, passed through untouched, and may be
gzip'd or a MIME multipart. A file a drive lacks (one written before vendor-data
existed) reads as empty."""
from __future__ import annotations

import io
from pathlib import Path

import pycdlib

from infra.errors import StorageError

FILES = ("meta-data", "user-data", "vendor-data", "network-config")


def write(path: Path, contents: dict[str, bytes]) -> None:
    """Writes atomically: a half-written drive never sits at `path`."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident="cidata")
    try:
        for index, name in enumerate(FILES):
            data = contents.get(name, b"")
            iso.add_fp(io.BytesIO(data), len(data), f"/FILE{index};1", rr_name=name, joliet_path=f"/{name}")
        tmp = path.with_suffix(".tmp")
        iso.write(str(tmp))
        tmp.chmod(0o640)  # the node's dir gives QEMU's group (functions/node.py)
        tmp.replace(path)
    except (pycdlib.pycdlibexception.PyCdlibException, OSError) as exc:
        raise StorageError(f"config drive {path}: {exc}", code="config_drive_failed") from exc
    finally:
        iso.close()


def read(path: Path) -> dict[str, bytes]:
    iso = pycdlib.PyCdlib()
    try:
        iso.open(str(path))
        present = {child.rock_ridge.name().decode() for child in iso.list_children(rr_path="/")
                   if child.rock_ridge is not None}
        out = {}
        for name in FILES:
            buf = io.BytesIO()
            if name in present:
                iso.get_file_from_iso_fp(buf, rr_path=f"/{name}")
            out[name] = buf.getvalue()
        return out
    except (pycdlib.pycdlibexception.PyCdlibException, OSError) as exc:
        raise StorageError(f"config drive {path} unreadable: {exc}", code="config_drive_unreadable") from exc
    finally:
        iso.close()
