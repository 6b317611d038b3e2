"""Phone-home records: what a guest told the control plane when a boot finished, one
JSON file per host (`<dir>/<host id>.json`), the newest post only. The listener
(workers.phone_home) writes them; a node's wait for its guest reads them."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

HOST_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


class Records:
    """The records in one directory, as a node reads them."""

    def __init__(self, directory: Path):
        self.directory = directory

    def read(self, host_id: str) -> dict | None:
        return read(self.directory, host_id)


def path(directory: Path, host_id: str) -> Path:
    if not HOST_ID.match(host_id):
        raise ValueError(f"not a host id: {host_id[:80]!r}")
    return directory / f"{host_id}.json"


def write(directory: Path, host_id: str, record: dict) -> None:
    """Atomically: a reader sees the old record or the new one, never half of one."""
    final = path(directory, host_id)
    tmp = final.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record))
    tmp.replace(final)


def read(directory: Path, host_id: str) -> dict | None:
    try:
        return json.loads(path(directory, host_id).read_text())
    except (FileNotFoundError, ValueError):
        return None
