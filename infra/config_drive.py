"""NoCloud config drive (ISO 9660, label cidata) built with pycdlib."""
from __future__ import annotations

import io
from pathlib import Path

import pycdlib

from infra.errors import StorageError

FILES = ("meta-data", "user-data", "network-config")


def write(path: Path, contents: dict[str, str]) -> None:
    """Writes atomically: a half-written drive never sits at `path`."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident="cidata")
    try:
        for index, name in enumerate(FILES):
            data = contents.get(name, "").encode()
            iso.add_fp(io.BytesIO(data), len(data), f"/FILE{index};1", rr_name=name, joliet_path=f"/{name}")
        tmp = path.with_suffix(".tmp")
        iso.write(str(tmp))
        tmp.chmod(0o640)  # the node's dir gives QEMU's group (functions/node.py)
        tmp.replace(path)
    except (pycdlib.pycdlibexception.PyCdlibException, OSError) as exc:
        raise StorageError(f"config drive {path}: {exc}", code="config_drive_failed") from exc
    finally:
        iso.close()


def read(path: Path) -> dict[str, str]:
    iso = pycdlib.PyCdlib()
    try:
        iso.open(str(path))
        out = {}
        for name in FILES:
            buf = io.BytesIO()
            iso.get_file_from_iso_fp(buf, rr_path=f"/{name}")
            out[name] = buf.getvalue().decode()
        return out
    except (pycdlib.pycdlibexception.PyCdlibException, OSError) as exc:
        raise StorageError(f"config drive {path} unreadable: {exc}", code="config_drive_unreadable") from exc
    finally:
        iso.close()
