"""What a hypervisor node's functions work with: its adapters and its paths.

Built once per job by operations.bootstrap; functions only read from it."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

CACHED_AS_QCOW2 = frozenset({"raw", "ami", "vmdk", "vdi", "vhd", "vhdx"})
FILE_MODE = 0o640  # disks, images, config drives: the owner and QEMU's group (Node.make_dir)


class DiskImages(Protocol):
    """qemu-img on the node's disk files (infra.qemu_img)."""

    def info(self, path: Path, fmt: str) -> dict: ...

    def create_overlay(self, path: Path, base: Path, size_bytes: int) -> None: ...

    def resize(self, path: Path, fmt: str, size_bytes: int) -> None: ...

    def convert_to_qcow2(self, src: Path, fmt: str, dest: Path) -> None: ...


class Consoles(Protocol):
    """The guests' serial console logs and their state lines (infra.console)."""

    def size(self, log: Path) -> int: ...

    def latest(self, log: Path, offset: int = 0) -> dict | None: ...

    def tail(self, log: Path, lines: int = 50) -> str: ...


class ConfigDrives(Protocol):
    """NoCloud config drive ISOs (infra.config_drive)."""

    def read(self, path: Path) -> dict[str, str]: ...

    def write(self, path: Path, contents: dict[str, str]) -> None: ...


@dataclass
class Node:
    name: str
    root: Path
    compute: Any
    images: Any
    netlink: Any
    virt_type: str
    stack: str
    # keyword-only and without defaults: whoever builds a Node wires them (operations.bootstrap)
    disk_images: DiskImages = field(kw_only=True)
    consoles: Consoles = field(kw_only=True)
    config_drives: ConfigDrives = field(kw_only=True)
    boot_timeout: float = 120.0
    shutdown_timeout: float = 10.0
    storage: Any = None
    objects: Any = None
    volume_pool: Any = None  # infra.libvirt_storage.PoolSpec; None: a dir pool under root
    backup_workers: int = 4
    max_live_vcpus: int = 4  # domains are defined with room to hot-plug vCPUs up to this
    share_driver: str = "9p"  # passthrough shares: 9p or virtiofs
    qemu_gid: int | None = None  # the group QEMU runs as; None: directories 0755, for tests without QEMU
    phone_homes: Any = None  # infra.phone_home.Records: what guests posted to the phone-home endpoint
    progress: Callable[[int, int], None] = lambda done, total: None

    def instance_dir(self, host_id: str) -> Path:
        return self.root / "instances" / host_id

    def root_disk(self, host_id: str) -> Path:
        return self.instance_dir(host_id) / "disk.qcow2"

    def config_drive(self, host_id: str) -> Path:
        return self.instance_dir(host_id) / "config.iso"

    def console_log(self, host_id: str) -> Path:
        return self.instance_dir(host_id) / "console.log"

    def cached_image(self, image: dict) -> Path:
        """Disk formats converted on download are cached as qcow2 (functions.images)."""
        fmt = "qcow2" if image["disk_format"] in CACHED_AS_QCOW2 else image["disk_format"]
        return self.root / "images" / f"{image['id']}-{image['sha512'][:16]}.{fmt}"

    def make_dir(self, path: Path) -> None:
        """QEMU runs as another user and must traverse every directory we make, up to the
        root: they are QEMU's group's, setgid (2750), so every file made in them is the
        group's too and FILE_MODE lets QEMU read it; others get nothing."""
        path.mkdir(parents=True, exist_ok=True)
        for p in (path, *path.parents):
            if p == self.root.parent:
                break
            if self.qemu_gid is None:
                os.chmod(p, 0o755)
            else:
                os.chown(p, -1, self.qemu_gid)
                os.chmod(p, 0o2750)


@dataclass
class Control:
    capacity: Any
    ipam: Any
    vm_network: str
    vm_subnet: str
    vm_gateway: str
    objects: Any = None
    dns: Any = None  # infra.dns.DnsClient
    dns_records: Any = None  # infra.db.dns_records.DnsRecordStore
    dns_zones: tuple[str, ...] = ()  # the managed zones: forward, then reverse
    dns_ttl: int = 300
    exports: Any = None  # infra.nfs_exports.ExportsDir
