"""libvirt's domain lifecycle events, on a connection of their own, with libvirt's
default event loop running in a thread of the process (virEventRegisterDefaultImpl).
A lost connection (libvirtd restarted) is opened again."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import libvirt

log = logging.getLogger("hostflow.libvirt_events")
_loop_lock = threading.Lock()
_loop_running = False


def start_loop() -> None:
    """Once per process, before the events' connection opens: connections opened
    earlier would not be served by the loop."""
    global _loop_running
    with _loop_lock:
        if _loop_running:
            return
        libvirt.virEventRegisterDefaultImpl()
        threading.Thread(target=_run_loop, name="libvirt-event-loop", daemon=True).start()
        _loop_running = True


def _run_loop() -> None:
    while True:
        libvirt.virEventRunDefaultImpl()


class DomainEvents:
    def __init__(self, uri: str, retry_s: float = 2.0):
        self.uri, self.retry_s = uri, retry_s

    def watch(self, on_event: Callable[[str], None], on_connect: Callable[[], None], stop: threading.Event) -> None:
        """Calls on_event(domain name) on every lifecycle event (started, stopped, paused,
        resumed, suspended, crashed, defined, undefined) until `stop` is set. After every
        (re)connection it calls on_connect(): what happened while disconnected sent no event."""
        start_loop()
        while not stop.is_set():
            try:
                conn = libvirt.open(self.uri)
            except libvirt.libvirtError as exc:
                log.warning("libvirt events: connect failed (%s); again in %.0f s", exc.get_error_message(),
                            self.retry_s)
                stop.wait(self.retry_s)
                continue
            self._serve(conn, on_event, on_connect, stop)

    def _serve(self, conn, on_event, on_connect, stop: threading.Event) -> None:
        closed = threading.Event()
        try:
            conn.registerCloseCallback(lambda _c, _reason, _opaque: closed.set(), None)
            conn.setKeepAlive(5, 3)
            callback = conn.domainEventRegisterAny(
                None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                lambda _c, dom, _event, _detail, _opaque: on_event(dom.name()), None)
            log.info("libvirt events: subscribed on %s", self.uri)
            on_connect()
            while not (stop.wait(0.5) or closed.is_set()):
                pass
            if not closed.is_set():
                conn.domainEventDeregisterAny(callback)
        except libvirt.libvirtError as exc:
            log.warning("libvirt events: %s", exc.get_error_message())
        finally:
            try:
                conn.close()
            except libvirt.libvirtError:
                pass
        if closed.is_set():
            log.warning("libvirt events: connection to %s lost; reconnecting", self.uri)
            stop.wait(self.retry_s)
