"""A hypervisor node's end of interactive consoles (infra.console_relay): it takes the
sessions the API opens for its domains, each in a thread of its own, and pumps bytes
between the domain's serial console and the session until either side ends it, the
domain stops, or nothing passes for IDLE_S. What passes is never logged."""
from __future__ import annotations

import logging
import threading
import time

from infra.console_relay import NodeSide
from infra.console_stream import ConsoleStream
from infra.domain_xml import read_metadata
from infra.errors import HostflowError
from infra.libvirt_compute import LibvirtCompute
from infra.settings import Settings

log = logging.getLogger("hostflow.console_relay")
IDLE_S = 900
TICK_S = 0.02


def _owned(settings: Settings, request: dict) -> bool:
    """Only a domain of this stack marked as the requested host's."""
    compute = LibvirtCompute(settings.libvirt_uri)
    try:
        xml = compute.xml(request["domain"])
        marks = read_metadata(xml) if xml else {}
    finally:
        compute.close()
    return marks.get("stack") == settings.stack_id and marks.get("host") == request["host_id"]


def pump(relay: NodeSide, session: str, console, stop: threading.Event) -> str:
    """Until an end; says which."""
    quiet_since = time.monotonic()
    while not stop.is_set():
        if relay.ended(session):
            return "closed by the API"
        data = console.read()
        if data is None:
            return "the console ended"
        inputs = relay.received(session)
        for chunk in inputs:
            console.write(chunk)
        if data:
            relay.send(session, data)
        if data or inputs:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > IDLE_S:
            return "idle"
        else:
            time.sleep(TICK_S)
    return "worker stopping"


def serve_session(relay: NodeSide, settings: Settings, request: dict, stop: threading.Event) -> None:
    session = request["session"]
    console = None
    try:
        if not _owned(settings, request):
            log.warning("console session %s refused: %s is not host %s's domain", session, request["domain"],
                        request["host_id"])
            return
        console = ConsoleStream(settings.libvirt_uri, request["domain"])
        log.info("console session %s opened on %s", session, request["domain"])
        log.info("console session %s ended: %s", session, pump(relay, session, console, stop))
    except HostflowError as exc:
        log.warning("console session %s failed: %s", session, exc.message)
    finally:
        if console is not None:
            console.close()
        try:
            relay.end(session)
        except HostflowError:
            pass


def run(redis, settings: Settings, stop: threading.Event) -> None:
    relay = NodeSide(redis, settings.node)
    while not stop.is_set():
        try:
            request = relay.next_request(timeout=1)
        except HostflowError:
            stop.wait(1)
            continue
        if request is not None:
            threading.Thread(target=serve_session, args=(relay, settings, request, stop), daemon=True,
                             name=f"console-{request['session'][:8]}").start()


def start(redis, settings: Settings, stop: threading.Event) -> None:
    threading.Thread(target=run, args=(redis, settings, stop), name="console-relay", daemon=True).start()
