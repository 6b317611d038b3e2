"""One libvirt connection, opened on first use and shared by the compute and
storage adapters of a job (DESIGN: open connections inside the job, never before a fork)."""
from __future__ import annotations

import libvirt

from infra.errors import ComputeError


class LibvirtConnection:
    def __init__(self, uri: str):
        self.uri = uri
        self._conn = None

    def get(self):
        if self._conn is None:
            try:
                self._conn = libvirt.open(self.uri)
            except libvirt.libvirtError as exc:
                raise ComputeError(f"libvirt connect to {self.uri} failed: {exc.get_error_message()}",
                                   code="libvirt_unavailable") from exc
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except libvirt.libvirtError:
                pass
            self._conn = None
