"""A domain's serial console as a byte stream (virDomainOpenConsole). The stream is
non-blocking and served by libvirt's default event loop (infra.libvirt_events), which
the hypervisor worker runs."""
from __future__ import annotations

import libvirt

from infra.errors import ComputeError
from infra.libvirt_events import start_loop

CHUNK = 16 * 1024


class ConsoleStream:
    def __init__(self, uri: str, domain: str):
        start_loop()
        try:
            self.conn = libvirt.open(uri)
            dom = self.conn.lookupByName(domain)
            self.stream = self.conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
            dom.openConsole(None, self.stream, libvirt.VIR_DOMAIN_CONSOLE_FORCE)
        except libvirt.libvirtError as exc:
            raise ComputeError(f"console of {domain}: {exc.get_error_message()}", code="console_unavailable") from exc

    def read(self) -> bytes | None:
        """What the guest wrote since the last read (b"" when nothing); None once the
        console has ended (the domain stopped)."""
        try:
            data = self.stream.recv(CHUNK)
        except libvirt.libvirtError:
            return None
        if data == -2:
            return b""
        return data or None

    def write(self, data: bytes) -> None:
        try:
            self.stream.send(data)
        except libvirt.libvirtError as exc:
            raise ComputeError(f"console write: {exc.get_error_message()}", code="console_unavailable") from exc

    def close(self) -> None:
        for end in (self.stream.finish, self.conn.close):
            try:
                end()
            except libvirt.libvirtError:
                pass
