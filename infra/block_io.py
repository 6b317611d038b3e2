"""A volume's bytes, read and written at offsets in its pool file or block device.

Volumes are created, grown and removed only through libvirt; their contents are
read and written here, as QEMU does."""
from __future__ import annotations

import errno
import os

from infra.errors import StorageError


class BlockDevice:
    def __init__(self, path: str, writable: bool = False):
        try:
            self.fd = os.open(path, os.O_RDWR if writable else os.O_RDONLY)
        except OSError as exc:
            raise StorageError(f"cannot open volume {path}: {exc.strerror}", code="volume_unreadable") from exc
        self.path = path

    def __enter__(self) -> BlockDevice:
        return self

    def __exit__(self, *_exc) -> None:
        os.close(self.fd)

    def is_hole(self, offset: int, length: int) -> bool:
        """True when no data is allocated in [offset, offset + length): it reads as zeros
        without being read. Devices that cannot tell report data."""
        try:
            return os.lseek(self.fd, offset, os.SEEK_DATA) >= offset + length
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # no data at or after offset
                return True
            return False

    def read(self, offset: int, length: int) -> bytes:
        try:
            return os.pread(self.fd, length, offset)
        except OSError as exc:
            raise StorageError(f"read {self.path} at {offset}: {exc.strerror}", code="volume_io_error") from exc

    def write(self, offset: int, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                written = os.pwrite(self.fd, view, offset)
                view, offset = view[written:], offset + written
        except OSError as exc:
            raise StorageError(f"write {self.path} at {offset}: {exc.strerror}", code="volume_io_error") from exc

    def sync(self) -> None:
        os.fsync(self.fd)
