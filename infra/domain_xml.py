"""Domain XML built with ElementTree from a DomainSpec, never by string formatting."""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

METADATA_NS = "https://hostflow.dev/xmlns/instance/1"
ET.register_namespace("hostflow", METADATA_NS)


@dataclass(frozen=True)
class Nic:
    """`ip`: the address recorded for it; libvirt's clean-traffic filter then drops what
    the guest sends from any other IPv4 or MAC address, and any ARP claiming one."""

    mac: str
    bridge: str
    ip: str | None = None


@dataclass(frozen=True)
class Filesystem:
    """A host directory passed into the guest, mounted there by its tag."""

    source: str
    tag: str
    read_only: bool = False
    driver: str = "9p"  # or virtiofs


@dataclass(frozen=True)
class DomainSpec:
    name: str
    host_id: str
    operation_id: str
    project: str
    stack: str
    vcpus: int
    ram_mb: int
    virt_type: str
    root_disk: str
    config_drive: str
    console_log: str
    nics: tuple[Nic, ...] = ()
    kernel: str | None = None
    ramdisk: str | None = None
    cmdline: str | None = None
    cdrom: str | None = None  # an ISO the host boots from, before its root disk
    extra_disks: tuple = field(default=())
    max_vcpus: int = 0  # above vcpus: room for vCPU hot-plug
    filesystems: tuple[Filesystem, ...] = ()


GUEST_AGENT_CHANNEL = "org.qemu.guest_agent.0"


def domain_name(host_id: str) -> str:
    return f"hf-{host_id}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    el = ET.SubElement(parent, tag, {k.rstrip("_"): str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = str(text)
    return el


def build(spec: DomainSpec) -> str:
    dom = ET.Element("domain", {"type": spec.virt_type})
    _sub(dom, "name", spec.name)
    _metadata(dom, spec)
    _sub(dom, "memory", spec.ram_mb, unit="MiB")
    _sub(dom, "currentMemory", spec.ram_mb, unit="MiB")
    if spec.max_vcpus > spec.vcpus:
        _sub(dom, "vcpu", spec.max_vcpus, placement="static", current=spec.vcpus)
    else:
        _sub(dom, "vcpu", spec.vcpus)
    _os(dom, spec)
    features = _sub(dom, "features")
    _sub(features, "acpi")
    _sub(features, "apic")
    _sub(dom, "on_poweroff", "destroy")
    _sub(dom, "on_reboot", "restart")
    _sub(dom, "on_crash", "destroy")
    devices = _sub(dom, "devices")
    _disk(devices, spec.root_disk, "qcow2", "vda")
    _disk(devices, spec.config_drive, "raw", "vdb", readonly=True)
    if spec.cdrom:
        _cdrom(devices, spec.cdrom)
    for nic in spec.nics:
        iface = _sub(devices, "interface", type="bridge")
        _sub(iface, "mac", address=nic.mac)
        _sub(iface, "source", bridge=nic.bridge)
        _sub(iface, "model", type="virtio")
        if nic.ip:
            _sub(_sub(iface, "filterref", filter="clean-traffic"), "parameter", name="IP", value=nic.ip)
    _filesystems(dom, devices, spec.filesystems)
    serial = _sub(devices, "serial", type="pty")
    _sub(serial, "log", file=spec.console_log, append="off")
    _sub(serial, "target", port="0")
    console = _sub(devices, "console", type="pty")
    _sub(console, "target", type="serial", port="0")
    agent = _sub(devices, "channel", type="unix")  # libvirt picks the socket's path
    _sub(agent, "target", type="virtio", name=GUEST_AGENT_CHANNEL)
    _sub(devices, "controller", type="usb", model="none")
    _sub(devices, "memballoon", model="virtio")
    return ET.tostring(dom, encoding="unicode")


def _metadata(dom: ET.Element, spec: DomainSpec) -> None:
    meta = _sub(dom, "metadata")
    inst = ET.SubElement(meta, f"{{{METADATA_NS}}}instance", {"stack": spec.stack})
    for tag, value in (("host", spec.host_id), ("operation", spec.operation_id), ("project", spec.project)):
        ET.SubElement(inst, f"{{{METADATA_NS}}}{tag}").text = value


def _os(dom: ET.Element, spec: DomainSpec) -> None:
    os_el = _sub(dom, "os")
    _sub(os_el, "type", "hvm", arch="x86_64", machine="pc")
    if spec.kernel:
        _sub(os_el, "kernel", spec.kernel)
        if spec.ramdisk:
            _sub(os_el, "initrd", spec.ramdisk)
        if spec.cmdline:
            _sub(os_el, "cmdline", spec.cmdline)
    else:
        if spec.cdrom:
            _sub(os_el, "boot", dev="cdrom")
        _sub(os_el, "boot", dev="hd")


def _cdrom(devices: ET.Element, path: str) -> None:
    disk = _sub(devices, "disk", type="file", device="cdrom")
    _sub(disk, "driver", name="qemu", type="raw")
    _sub(disk, "source", file=path)
    _sub(disk, "target", dev="hdc", bus="ide")
    _sub(disk, "readonly")


def _disk(devices: ET.Element, path: str, fmt: str, target: str, readonly: bool = False) -> None:
    disk = _sub(devices, "disk", type="file", device="disk")
    _sub(disk, "driver", name="qemu", type=fmt)
    _sub(disk, "source", file=path)
    _sub(disk, "target", dev=target, bus="virtio")
    if readonly:
        _sub(disk, "readonly")


def read_metadata(xml: str) -> dict:
    """The hostflow marks of a domain: stack, host, operation, project ({} if none)."""
    root = ET.fromstring(xml)
    inst = root.find(f"metadata/{{{METADATA_NS}}}instance")
    if inst is None:
        return {}
    marks = {"stack": inst.get("stack", "")}
    for child in inst:
        marks[child.tag.split("}")[-1]] = child.text or ""
    return marks


def sizing(xml: str) -> dict:
    """vCPUs and memory of a definition: {"vcpus", "max_vcpus", "ram_mb", "max_ram_mb", "balloon"}."""
    root = ET.fromstring(xml)
    vcpu = root.find("vcpu")
    max_vcpus = int(vcpu.text)
    memory = _mib(root.find("memory"))
    current = root.find("currentMemory")
    balloon = root.find("devices/memballoon")
    return {"vcpus": int(vcpu.get("current", max_vcpus)), "max_vcpus": max_vcpus,
            "ram_mb": _mib(current) if current is not None else memory, "max_ram_mb": memory,
            "balloon": balloon is not None and balloon.get("model") != "none"}


def resized(xml: str, vcpus: int, max_vcpus: int, ram_mb: int) -> str:
    """The definition with new vCPUs and memory (the memory maximum follows), all else kept."""
    root = ET.fromstring(xml)
    vcpu = root.find("vcpu")
    vcpu.text = str(max(vcpus, max_vcpus))
    vcpu.attrib.pop("current", None)
    if max_vcpus > vcpus:
        vcpu.set("current", str(vcpus))
    for tag in ("memory", "currentMemory"):
        el = root.find(tag)
        if el is None:
            el = ET.SubElement(root, tag)
        el.attrib.clear()
        el.set("unit", "MiB")
        el.text = str(ram_mb)
    return ET.tostring(root, encoding="unicode")


def _mib(el: ET.Element) -> int:
    factor = {"KiB": 1 / 1024, "k": 1 / 1024, "MiB": 1, "M": 1, "GiB": 1024, "G": 1024, "b": 1 / (1 << 20),
              "bytes": 1 / (1 << 20)}[el.get("unit", "KiB")]
    return int(int(el.text) * factor)


# --- shared directories (9p or virtiofs) ---------------------------------------

VIRTIOFSD_PATHS = ("/usr/libexec/virtiofsd", "/usr/lib/qemu/virtiofsd")  # the Rust one, QEMU's own


def virtiofsd() -> str | None:
    """This node's virtiofsd, if it has one."""
    return next((p for p in VIRTIOFSD_PATHS if os.path.exists(p)), None)


def _filesystems(dom: ET.Element, devices: ET.Element, filesystems) -> None:
    for fs in filesystems:
        _filesystem(devices, fs)
    if any(fs.driver == "virtiofs" for fs in filesystems) and dom.find("memoryBacking") is None:
        backing = _sub(dom, "memoryBacking")
        _sub(backing, "source", type="memfd")
        _sub(backing, "access", mode="shared")


def _filesystem(devices: ET.Element, fs: Filesystem) -> None:
    """9p in `mapped` mode: the guest's owners and modes live in xattrs, QEMU writes as itself."""
    if fs.driver == "virtiofs":
        el = _sub(devices, "filesystem", type="mount", accessmode="passthrough")
        _sub(el, "driver", type="virtiofs")
        _sub(el, "binary", path=virtiofsd() or VIRTIOFSD_PATHS[-1])
    else:
        el = _sub(devices, "filesystem", type="mount", accessmode="mapped")
    _sub(el, "source", dir=fs.source)
    _sub(el, "target", dir=fs.tag)
    if fs.read_only:
        _sub(el, "readonly")


def filesystems(xml: str) -> list[dict]:
    """The definition's mount filesystems: [{"source", "tag", "read_only", "driver"}], by tag."""
    found = []
    for el in ET.fromstring(xml).iterfind("devices/filesystem"):
        driver = el.find("driver")
        found.append({"source": el.find("source").get("dir"), "tag": el.find("target").get("dir"),
                      "read_only": el.find("readonly") is not None,
                      "driver": "virtiofs" if driver is not None and driver.get("type") == "virtiofs" else "9p"})
    return sorted(found, key=lambda f: f["tag"])


def with_filesystems(xml: str, wanted: list[dict]) -> str:
    """The definition with exactly these filesystems (all else kept)."""
    root = ET.fromstring(xml)
    devices = root.find("devices")
    for el in devices.findall("filesystem"):
        devices.remove(el)
    backing = root.find("memoryBacking")
    if backing is not None and not any(f["driver"] == "virtiofs" for f in wanted):
        root.remove(backing)
    _filesystems(root, devices, tuple(Filesystem(f["source"], f["tag"], f["read_only"], f["driver"]) for f in wanted))
    return ET.tostring(root, encoding="unicode")
