"""The libvirt storage adapter: a pool per node (`dir`, or `logical` on an LVM volume
group) and raw volumes in it.

libvirt errors become StorageError here and nowhere else. Volume files are only ever
made, grown and removed through the storage API, never by hand."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import libvirt

from infra.errors import StorageError
from infra.libvirt_connection import LibvirtConnection

libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


@contextmanager
def _translated(action: str, code: str | None = None):
    try:
        yield
    except libvirt.libvirtError as exc:
        raise StorageError(f"libvirt {action} failed: {exc.get_error_message()}", code=code,
                           details={"libvirt_code": exc.get_error_code()}) from exc


@dataclass(frozen=True)
class PoolSpec:
    """Where a node's volumes live: a directory (`dir`), or an LVM volume group built
    on `devices` (`logical`), whose volumes appear under /dev/<group>."""

    kind: str
    path: Path
    devices: tuple[str, ...] = ()
    group: str = ""
    gid: int | None = None  # a dir pool's directory: QEMU's group, 0750; None: 0755

    @classmethod
    def logical(cls, group: str, devices: tuple[str, ...]) -> PoolSpec:
        return cls("logical", Path("/dev") / group, tuple(devices), group)


def pool_xml(name: str, spec: PoolSpec) -> str:
    pool = ET.Element("pool", {"type": spec.kind})
    ET.SubElement(pool, "name").text = name
    if spec.kind == "logical":
        source = ET.SubElement(pool, "source")
        for device in spec.devices:
            ET.SubElement(source, "device", {"path": device})
        ET.SubElement(source, "name").text = spec.group
        ET.SubElement(source, "format", {"type": "lvm2"})
    target = ET.SubElement(pool, "target")
    ET.SubElement(target, "path").text = str(spec.path)
    if spec.kind == "dir":
        perms = ET.SubElement(target, "permissions")
        ET.SubElement(perms, "mode").text = "0755" if spec.gid is None else "0750"
        if spec.gid is not None:
            ET.SubElement(perms, "group").text = str(spec.gid)
    return ET.tostring(pool, encoding="unicode")


def volume_xml(name: str, capacity: int, kind: str = "dir") -> str:
    """A raw volume: sparse in a directory, fully allocated as a logical volume
    (a smaller allocation would make LVM build a snapshot volume)."""
    vol = ET.Element("volume")
    ET.SubElement(vol, "name").text = name
    ET.SubElement(vol, "allocation", {"unit": "bytes"}).text = "0" if kind == "dir" else str(capacity)
    ET.SubElement(vol, "capacity", {"unit": "bytes"}).text = str(capacity)
    if kind == "dir":
        target = ET.SubElement(vol, "target")
        ET.SubElement(target, "format", {"type": "raw"})
    return ET.tostring(vol, encoding="unicode")


def _volume_info(vol) -> dict | None:
    """None for a volume deleted since the pool was listed."""
    try:
        _kind, capacity, allocation = vol.info()
        return {"name": vol.name(), "path": vol.path(), "capacity": capacity, "allocation": allocation}
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_STORAGE_VOL:
            return None
        raise


def _files_in(directory: Path) -> list[dict]:
    if not directory.is_dir():
        return []
    return [{"name": f.name, "path": str(f), "capacity": f.stat().st_size, "allocation": None}
            for f in sorted(directory.iterdir()) if f.is_file()]


class LibvirtStorage:
    """Opens its connection on first use, or borrows one (e.g. the compute adapter's)."""

    def __init__(self, connection: LibvirtConnection):
        self.connection = connection

    @classmethod
    def sharing(cls, compute) -> LibvirtStorage:
        """Uses the compute adapter's connection (one connection per job)."""
        return cls(compute.connection)

    @property
    def conn(self):
        return self.connection.get()

    def close(self) -> None:
        self.connection.close()

    # --- pools ---------------------------------------------------------------

    def _pool(self, name: str):
        try:
            return self.conn.storagePoolLookupByName(name)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_STORAGE_POOL:
                return None
            raise StorageError(f"libvirt pool lookup failed: {exc.get_error_message()}") from exc

    @staticmethod
    def _pool_path(pool) -> Path:
        with _translated("pool XMLDesc"):
            return Path(ET.fromstring(pool.XMLDesc(0)).findtext("target/path") or "")

    def ensure_pool(self, name: str, spec: PoolSpec) -> bool:
        """Defines, builds, starts and autostarts the pool. True if anything changed."""
        pool, path = self._pool(name), spec.path
        changed = pool is None
        if pool is None:
            with _translated("storagePoolDefineXML"):
                pool = self.conn.storagePoolDefineXML(pool_xml(name, spec), 0)
        elif self._pool_path(pool) != path:
            raise StorageError(f"pool {name} points at {self._pool_path(pool)}, not {path}", code="pool_conflict")
        with _translated("pool start"):
            if spec.kind == "dir" and pool.isActive() and not path.is_dir():
                pool.destroy()  # its directory went away underneath it
            if not pool.isActive():
                self._start(pool, spec)
                changed = True
            if not pool.autostart():
                pool.setAutostart(1)
                changed = True
            pool.refresh(0)
        return changed

    @staticmethod
    def _start(pool, spec: PoolSpec) -> None:
        """A dir pool is built (mkdir) each time; a volume group only when it does not
        exist yet, since building it again would wipe its devices."""
        if spec.kind == "dir":
            pool.build(0)
            pool.create(0)
            return
        try:
            pool.create(0)
        except libvirt.libvirtError:
            pool.build(libvirt.VIR_STORAGE_POOL_BUILD_NO_OVERWRITE)
            pool.create(0)

    def remove_pool(self, name: str, wipe: bool = False) -> bool:
        """Stops and undefines the pool; its directory and files are left alone unless
        `wipe` (then the pool's own delete: rmdir, or vgremove and pvremove)."""
        pool = self._pool(name)
        if pool is None:
            return False
        with _translated("pool undefine"):
            if pool.isActive():
                pool.destroy()
            if wipe:
                pool.delete(0)
            pool.undefine()
        return True

    def pools(self, prefix: str) -> list[str]:
        with _translated("listAllStoragePools"):
            return [p.name() for p in self.conn.listAllStoragePools() if p.name().startswith(prefix)]

    # --- volumes -------------------------------------------------------------

    def volume(self, pool_name: str, name: str) -> dict | None:
        """{"path", "capacity", "allocation"} of the volume, or None if it (or its pool) is absent.

        An inactive pool is not started (observing never acts): its file is looked at instead."""
        pool = self._pool(pool_name)
        if pool is None:
            return None
        directory = self._pool_path(pool)
        if not directory.is_dir():
            return None
        with _translated("pool isActive"):
            active = pool.isActive()
        if not active:
            file = directory / name
            return {"path": str(file), "capacity": file.stat().st_size, "allocation": None} if file.exists() else None
        vol = self._lookup_volume(pool, name)
        if vol is None:
            return None
        with _translated("volume info"):
            _kind, capacity, allocation = vol.info()
            return {"path": vol.path(), "capacity": capacity, "allocation": allocation}

    def volumes(self, pool_name: str) -> list[dict]:
        """[{"name", "path", "capacity", "allocation"}] of every volume in the pool, by name;
        [] if the pool is absent. An inactive pool is not started: its directory's files are
        listed, allocation None (as `volume`)."""
        pool = self._pool(pool_name)
        if pool is None:
            return []
        with _translated("pool isActive"):
            active = pool.isActive()
        if not active:
            return _files_in(self._pool_path(pool))
        with _translated("pool refresh"):
            pool.refresh(0)
        with _translated("pool listAllVolumes"):
            found = [_volume_info(vol) for vol in pool.listAllVolumes(0)]
        return sorted((v for v in found if v is not None), key=lambda v: v["name"])

    def _lookup_volume(self, pool, name: str):
        with _translated("pool refresh"):
            pool.refresh(0)
        try:
            return pool.storageVolLookupByName(name)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_STORAGE_VOL:
                return None
            raise StorageError(f"libvirt volume lookup failed: {exc.get_error_message()}") from exc

    def _require_volume(self, pool_name: str, name: str):
        pool = self._pool(pool_name)
        vol = None if pool is None else self._lookup_volume(pool, name)
        if vol is None:
            raise StorageError(f"volume {name} is not in pool {pool_name}", code="volume_absent")
        return vol

    def create_volume(self, pool_name: str, name: str, capacity: int) -> None:
        pool = self._pool(pool_name)
        if pool is None:
            raise StorageError(f"pool {pool_name} is not defined", code="pool_absent")
        with _translated("pool XMLDesc"):
            kind = ET.fromstring(pool.XMLDesc(0)).get("type", "dir")
        with _translated("storageVolCreateXML"):
            pool.createXML(volume_xml(name, capacity, kind), 0)

    def resize_volume(self, pool_name: str, name: str, capacity: int) -> None:
        vol = self._require_volume(pool_name, name)
        with _translated("volume resize"):
            vol.resize(capacity, 0)

    def delete_volume(self, pool_name: str, name: str) -> None:
        pool = self._pool(pool_name)
        vol = None if pool is None else self._lookup_volume(pool, name)
        if vol is None:
            return
        with _translated("volume delete"):
            vol.delete(0)
