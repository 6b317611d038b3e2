"""Small real image files, good and hostile, built with qemu-img and pycdlib."""
from __future__ import annotations

import io
import os
import struct
import subprocess
from pathlib import Path

import pycdlib

MIB = 1 << 20


def qemu_img(*args: str) -> None:
    subprocess.run(["qemu-img", *args], check=True, capture_output=True)


def image(path: Path, fmt: str, size: int = 64 * MIB, *options: str) -> Path:
    """An empty image; fmt is qemu-img's name (vpc for vhd)."""
    opts = ["-o", ",".join(options)] if options else []
    qemu_img("create", "-q", "-f", fmt, *opts, str(path), str(size))
    return path


def qcow2_with_data(path: Path, size: int = 64 * MIB, data: bytes = b"hostflow image\n" * 4096) -> Path:
    """A qcow2 holding some allocated clusters: converted from a raw file."""
    raw = raw_file(path.with_suffix(".src"), size, data)
    qemu_img("convert", "-q", "-f", "raw", "-O", "qcow2", str(raw), str(path))
    raw.unlink()
    return path


def raw_file(path: Path, size: int = 4 * MIB, data: bytes = b"") -> Path:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.truncate(size)
    return path


def random_file(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        for _ in range(size // MIB):
            fh.write(os.urandom(MIB))
        fh.write(os.urandom(size % MIB))
    return path


def mbr_disk(path: Path, size: int = 4 * MIB) -> Path:
    """A raw disk with one Linux partition in an MBR partition table."""
    raw_file(path, size)
    entry = struct.pack("<B3BB3BII", 0x80, 0, 2, 0, 0x83, 0xFE, 0xFF, 0xFF, 2048, size // 512 - 2048)
    with open(path, "r+b") as fh:
        fh.seek(446)
        fh.write(entry)
        fh.seek(510)
        fh.write(b"\x55\xaa")
    return path


def boot_sector_only(path: Path, size: int = 1 * MIB) -> Path:
    """Bytes with a boot-sector signature and no partitions, as a bzImage kernel has."""
    raw_file(path, size, b"\xeb\x3c" + b"\x90" * 508 + b"\x55\xaa")
    return path


def qcow2_with_backing(path: Path, host_file: Path) -> Path:
    qemu_img("create", "-q", "-f", "qcow2", "-F", "raw", "-b", str(host_file.resolve()), str(path))
    return path


def qcow2_with_data_file(path: Path, data_file: Path, size: int = 16 * MIB) -> Path:
    return image(path, "qcow2", size, f"data_file={data_file.resolve()}")


def vmdk_flat_extent(path: Path, host_path: Path, size: int = 16 * MIB) -> Path:
    """A monolithicFlat VMDK whose descriptor's extent names `host_path`."""
    image(path, "vmdk", size, "subformat=monolithicFlat")
    flat = path.with_name(path.stem + "-flat.vmdk")
    text = path.read_text().replace(f'"{flat.name}"', f'"{host_path.resolve()}"')
    assert str(host_path.resolve()) in text, "qemu-img wrote no flat extent line"
    path.write_text(text)
    flat.unlink()
    return path


def iso(path: Path, files: dict[str, bytes] | None = None) -> Path:
    disc = pycdlib.PyCdlib()
    disc.new(interchange_level=3, vol_ident="HOSTFLOW")
    for index, data in enumerate((files or {"readme": b"hello\n"}).values()):
        disc.add_fp(io.BytesIO(data), len(data), f"/FILE{index};1")
    disc.write(str(path))
    disc.close()
    return path


def iso_with_qcow2(path: Path, tmp: Path) -> Path:
    """An ISO whose (unused) system area starts with a qcow2 header."""
    iso(path)
    header = image(tmp / "inner.qcow2", "qcow2", 16 * MIB).read_bytes()[:512]
    with open(path, "r+b") as fh:
        fh.write(header)
    return path


def qcow2_and_mbr(path: Path) -> Path:
    """A valid qcow2 that also carries an MBR signature: two formats match."""
    image(path, "qcow2", 16 * MIB)
    with open(path, "r+b") as fh:
        fh.seek(510)
        fh.write(b"\x55\xaa")
    return path
