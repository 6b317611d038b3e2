"""The libvirt adapter. libvirt errors become ComputeError here and nowhere else.

A connection is opened per use and never before a fork (DESIGN: open libvirt
connections inside the job)."""
from __future__ import annotations

import base64
import json
import time
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from pathlib import Path

import libvirt
import libvirt_qemu

from infra import domain_xml
from infra.errors import ComputeError
from infra.libvirt_connection import LibvirtConnection

RUN_DIR = Path("/run/libvirt/qemu")  # qemu:///system's per-domain runtime files

libvirt.registerErrorHandler(lambda _ctx, _err: None, None)

STATES = {
    libvirt.VIR_DOMAIN_NOSTATE: "nostate", libvirt.VIR_DOMAIN_RUNNING: "running",
    libvirt.VIR_DOMAIN_BLOCKED: "running", libvirt.VIR_DOMAIN_PAUSED: "paused",
    libvirt.VIR_DOMAIN_SHUTDOWN: "shutting_down", libvirt.VIR_DOMAIN_SHUTOFF: "shutoff",
    libvirt.VIR_DOMAIN_CRASHED: "crashed", libvirt.VIR_DOMAIN_PMSUSPENDED: "suspended",
}


# libvirt's own pauses while it works on a running domain (starting its CPUs, saving it,
# a snapshot, a migration, a dump): the guest is running as far as anyone asked
TRANSIENT_PAUSES = frozenset({libvirt.VIR_DOMAIN_PAUSED_STARTING_UP, libvirt.VIR_DOMAIN_PAUSED_SAVE,
                              libvirt.VIR_DOMAIN_PAUSED_SNAPSHOT, libvirt.VIR_DOMAIN_PAUSED_MIGRATION,
                              libvirt.VIR_DOMAIN_PAUSED_DUMP})

# the agent is not connected (yet), not in sync, or timed out
AGENT_ABSENT = frozenset({libvirt.VIR_ERR_AGENT_UNRESPONSIVE, libvirt.VIR_ERR_AGENT_UNSYNCED,
                          libvirt.VIR_ERR_OPERATION_TIMEOUT})


def _disk_info(disk: ET.Element) -> dict:
    target, source = disk.find("target"), disk.find("source")
    return {"target": None if target is None else target.get("dev"),
            "source": None if source is None else source.get("file") or source.get("dev"),
            "serial": disk.findtext("serial")}


@contextmanager
def _translated(action: str):
    try:
        yield
    except libvirt.libvirtError as exc:
        raise ComputeError(f"libvirt {action} failed: {exc.get_error_message()}",
                           details={"libvirt_code": exc.get_error_code()}) from exc


class LibvirtCompute:
    def __init__(self, uri: str, log_dir: Path | None = None):
        self.uri = uri
        self.log_dir = log_dir
        self.connection = LibvirtConnection(uri)

    @property
    def conn(self):
        return self.connection.get()

    def close(self) -> None:
        self.connection.close()

    def _lookup(self, name: str):
        try:
            return self.conn.lookupByName(name)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise ComputeError(f"libvirt lookup failed: {exc.get_error_message()}") from exc

    def agent(self, name: str, command: str, arguments: dict | None = None, timeout: int = 2):
        """The guest agent's answer to `command` (its `return`), or None while no agent
        answers: not started yet, or none in the guest. Any other failure is ComputeError."""
        dom = self._require(name)
        payload = json.dumps({"execute": command, **({"arguments": arguments} if arguments else {})})
        try:
            reply = libvirt_qemu.qemuAgentCommand(dom, payload, timeout, 0)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() in AGENT_ABSENT:
                return None
            raise ComputeError(f"guest agent {command} failed: {exc.get_error_message()}",
                               code="guest_agent_error") from exc
        return json.loads(reply).get("return")

    def guest_exec(self, name: str, argv: list[str], timeout: float = 20.0) -> dict | None:
        """Runs argv in the guest through its agent: {"exitcode", "out"} (stdout as text),
        or None when no agent answers. A command still running after `timeout` is
        ComputeError."""
        started = self.agent(name, "guest-exec", {"path": argv[0], "arg": argv[1:], "capture-output": True})
        if started is None:
            return None
        deadline = time.monotonic() + timeout
        while True:
            status = self.agent(name, "guest-exec-status", {"pid": started["pid"]}) or {}
            if status.get("exited"):
                out = base64.b64decode(status.get("out-data", "")).decode(errors="replace")
                return {"exitcode": status.get("exitcode"), "out": out}
            if time.monotonic() > deadline:
                raise ComputeError(f"{argv[0]} in the guest did not end in {timeout:.0f} s", code="guest_agent_error")
            time.sleep(0.1)

    def started_at(self, name: str) -> float | None:
        """When the running domain's QEMU was started (epoch seconds): libvirt writes its
        pid file then. None when it is not running, or libvirt keeps no such file here."""
        try:
            return (RUN_DIR / f"{name}.pid").stat().st_mtime
        except OSError:
            return None

    def state(self, name: str) -> str:
        """'absent', 'shutoff', 'running', ... for the named domain."""
        dom = self._lookup(name)
        if dom is None:
            return "absent"
        with _translated("state"):
            return STATES.get(dom.state()[0], "unknown")

    def power_state(self, name: str) -> str:
        """As `state`, with a shut-off domain that has a managed save image (its memory,
        kept by a suspend) told apart: 'suspended'; and libvirt's own brief pauses of a
        running domain (TRANSIENT_PAUSES) read as 'running'."""
        dom = self._lookup(name)
        if dom is None:
            return "absent"
        with _translated("state"):
            code, reason = dom.state()
            if code == libvirt.VIR_DOMAIN_PAUSED and reason in TRANSIENT_PAUSES:
                return "running"
            state = STATES.get(code, "unknown")
            return "suspended" if state == "shutoff" and dom.hasManagedSaveImage(0) else state

    def xml(self, name: str, inactive: bool = True) -> str | None:
        dom = self._lookup(name)
        if dom is None:
            return None
        flags = libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0
        with _translated("XMLDesc"):
            return dom.XMLDesc(flags)

    def marks(self, name: str) -> dict:
        xml = self.xml(name)
        return domain_xml.read_metadata(xml) if xml else {}

    def define(self, xml: str) -> None:
        with _translated("defineXML"):
            self.conn.defineXML(xml)

    def start(self, name: str) -> None:
        with _translated("create"):
            self._require(name).create()

    def shutdown(self, name: str) -> None:
        with _translated("shutdown"):
            self._require(name).shutdown()

    def managed_save(self, name: str) -> None:
        """Saves the running (or paused) domain's memory to libvirt's managed save image
        and stops it; the next start restores it."""
        with _translated("managedSave"):
            self._require(name).managedSave(0)

    def pause(self, name: str) -> None:
        with _translated("suspend"):
            self._require(name).suspend()

    def unpause(self, name: str) -> None:
        with _translated("resume"):
            self._require(name).resume()

    def autostart(self, name: str) -> bool:
        with _translated("autostart"):
            return bool(self._require(name).autostart())

    def set_autostart(self, name: str, on: bool = True) -> None:
        with _translated("setAutostart"):
            self._require(name).setAutostart(int(on))

    def destroy(self, name: str) -> None:
        dom = self._lookup(name)
        if dom is None:
            return
        try:
            dom.destroy()
        except libvirt.libvirtError as exc:
            if exc.get_error_code() != libvirt.VIR_ERR_OPERATION_INVALID:
                raise ComputeError(f"libvirt destroy failed: {exc.get_error_message()}") from exc

    def undefine(self, name: str) -> None:
        """Undefines the domain, with its managed save image (a suspended one's memory), and
        removes the log libvirt's QEMU driver kept for it."""
        dom = self._lookup(name)
        if dom is not None:
            with _translated("undefine"):
                dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
        if self.log_dir is not None:
            (self.log_dir / f"{name}.log").unlink(missing_ok=True)

    def wait_state(self, name: str, wanted: set[str], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            current = self.state(name)
            if current in wanted or time.monotonic() >= deadline:
                return current
            time.sleep(0.1)

    def node_info(self) -> dict:
        with _translated("getInfo"):
            _model, mem_mb, cpus, *_ = self.conn.getInfo()
        return {"vcpus": cpus, "ram_mb": mem_mb}

    def power_states(self, stack: str) -> list[dict]:
        """Every domain carrying this stack's hostflow mark: [{"domain", "host", "state"}],
        the state as `power_state` gives it."""
        with _translated("listAllDomains"):
            doms = self.conn.listAllDomains()
        found = []
        for dom in doms:
            try:
                marks = domain_xml.read_metadata(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
                if marks.get("stack") == stack and marks.get("host"):
                    found.append({"domain": dom.name(), "host": marks["host"], "state": self.power_state(dom.name())})
            except libvirt.libvirtError as exc:
                if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:  # undefined meanwhile: not there
                    raise ComputeError(f"libvirt listing failed: {exc.get_error_message()}") from exc
        return found

    def domains_marked(self, stack: str) -> list[str]:
        """Names of every domain carrying this stack's hostflow mark."""
        with _translated("listAllDomains"):
            doms = self.conn.listAllDomains()
        names = []
        for dom in doms:
            with _translated("XMLDesc"):
                marks = domain_xml.read_metadata(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
            if marks.get("stack") == stack:
                names.append(dom.name())
        return names

    # --- disk attach/detach ---------------------------------------------------

    def disks(self, name: str, live: bool = False) -> list[dict]:
        """The domain's disks: [{"target", "source", "serial"}] from its live or persistent XML."""
        xml = self.xml(name, inactive=not live)
        if xml is None:
            return []
        return [_disk_info(d) for d in ET.fromstring(xml).iterfind("devices/disk")]

    def block_resize(self, name: str, target: str, size_bytes: int) -> None:
        """Grows a disk of a running domain; the guest is told of the new size."""
        with _translated("blockResize"):
            self._require(name).blockResize(target, size_bytes, libvirt.VIR_DOMAIN_BLOCK_RESIZE_BYTES)

    def attach_disk(self, name: str, path: str, target: str, serial: str, live: bool) -> None:
        """Attaches a raw file or block device (a logical volume) as a virtio disk: to the
        persistent definition, and live if asked."""
        block = path.startswith("/dev/")
        disk = ET.Element("disk", {"type": "block" if block else "file", "device": "disk"})
        ET.SubElement(disk, "driver", {"name": "qemu", "type": "raw"})
        ET.SubElement(disk, "source", {"dev" if block else "file": path})
        ET.SubElement(disk, "target", {"dev": target, "bus": "virtio"})
        ET.SubElement(disk, "serial").text = serial
        flags = libvirt.VIR_DOMAIN_AFFECT_CONFIG | (libvirt.VIR_DOMAIN_AFFECT_LIVE if live else 0)
        with _translated("attachDeviceFlags"):
            self._require(name).attachDeviceFlags(ET.tostring(disk, encoding="unicode"), flags)

    def detach_disk(self, name: str, path: str, live: bool, config: bool) -> None:
        """Asks for the disk whose source is path to go: from the persistent definition and/or
        the running guest. A live detach only starts there (the guest must release it)."""
        xml = self.xml(name, inactive=not live)
        disks = [] if xml is None else ET.fromstring(xml).iterfind("devices/disk")
        found = next((d for d in disks if _disk_info(d)["source"] == path), None)
        if found is None:
            return
        flags = (libvirt.VIR_DOMAIN_AFFECT_LIVE if live else 0) | (libvirt.VIR_DOMAIN_AFFECT_CONFIG if config else 0)
        with _translated("detachDeviceFlags"):
            self._require(name).detachDeviceFlags(ET.tostring(found, encoding="unicode"), flags)

    def _require(self, name: str):
        dom = self._lookup(name)
        if dom is None:
            raise ComputeError(f"domain {name} is not defined", code="domain_absent")
        return dom

    # --- sizing (resize) ---------------------------------------------------------

    def sizing(self, name: str) -> dict:
        """vCPUs and memory of the persistent definition (see domain_xml.sizing)."""
        return domain_xml.sizing(self.xml(name, inactive=True))

    def set_vcpus_live(self, name: str, vcpus: int) -> None:
        """Hot-plugs (or unplugs) vCPUs up to the definition's maximum, live and persistent."""
        flags = libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_AFFECT_CONFIG
        with _translated("setVcpusFlags"):
            self._require(name).setVcpusFlags(vcpus, flags)

    def set_memory_live(self, name: str, ram_mb: int) -> None:
        """The balloon's target, within the definition's maximum, live and persistent."""
        flags = libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_AFFECT_CONFIG
        with _translated("setMemoryFlags"):
            self._require(name).setMemoryFlags(ram_mb * 1024, flags)

    def redefine_sizing(self, name: str, vcpus: int, max_vcpus: int, ram_mb: int) -> None:
        """A stopped domain's persistent definition with new vCPUs and memory."""
        self.define(domain_xml.resized(self.xml(name, inactive=True), vcpus, max_vcpus, ram_mb))

    # --- guest filesystems (quiesced copies) -------------------------------------

    def fs_freeze(self, name: str) -> int | None:
        """Freezes the guest's filesystems through its agent: how many, or None when no
        agent answers (the copy is then taken unquiesced)."""
        try:
            return self._require(name).fsFreeze(None, 0)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() in AGENT_ABSENT:
                return None
            raise ComputeError(f"guest agent freeze failed: {exc.get_error_message()}",
                               code="guest_agent_error") from exc

    def fs_thaw(self, name: str) -> int:
        with _translated("fsThaw"):
            return self._require(name).fsThaw(None, 0)

    # --- block copy (snapshots of a running domain) -----------------------------

    def block_copy(self, name: str, target: str, dest: str, fmt: str = "qcow2") -> None:
        """Starts mirroring the whole chain of `target` into a new `fmt` file `dest`.
        TRANSIENT_JOB: libvirt refuses a copy job on a persistent domain without it."""
        disk = ET.Element("disk", {"type": "file"})
        ET.SubElement(disk, "driver", {"type": fmt})
        ET.SubElement(disk, "source", {"file": dest})
        with _translated("blockCopy"):
            self._require(name).blockCopy(target, ET.tostring(disk, encoding="unicode"), None,
                                          libvirt.VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB)

    def block_job(self, name: str, target: str) -> dict | None:
        """{"cur", "end"} of the block job on `target`, None when there is none. libvirt
        reports cur == end for a copy job only once the mirror is ready."""
        with _translated("blockJobInfo"):
            info = self._require(name).blockJobInfo(target, 0)
        return {"cur": info["cur"], "end": info["end"]} if info else None

    def block_job_abort(self, name: str, target: str) -> None:
        """Ends the block job on `target` without pivoting: the domain keeps its own disk.
        Synchronous; a ready copy job leaves a consistent copy behind. No job: nothing to do."""
        if self.block_job(name, target) is None:
            return
        with _translated("blockJobAbort"):
            self._require(name).blockJobAbort(target, 0)

    # --- shared directories (shares) --------------------------------------------

    def filesystems(self, name: str) -> list[dict]:
        """The persistent definition's shared directories (see domain_xml.filesystems)."""
        xml = self.xml(name, inactive=True)
        return domain_xml.filesystems(xml) if xml else []

    def set_filesystems(self, name: str, wanted: list[dict]) -> None:
        """A stopped domain's persistent definition with exactly these shared directories
        (9p devices cannot be hot-plugged)."""
        self.define(domain_xml.with_filesystems(self.xml(name, inactive=True), wanted))
