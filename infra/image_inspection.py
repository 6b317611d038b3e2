"""What an image file really is, before qemu-img ever reads it (DESIGN.md, "Images:
safety"). oslo.utils' format inspector reads only headers, so the same inspection
runs on a file (a hypervisor's download) or on an upload as its bytes stream by.

What the inspector must find for each declared disk format:

- `aki` (a kernel), `ari` (a ramdisk) and `ami` (a root filesystem image) carry no
  disk container: the inspector finds `raw`;
- `vhd` is the inspector's `vhd` and qemu-img's `vpc` (`Inspection.qemu_format`);
- a raw disk with a partition table is found as `gpt` (oslo's name for MBR and GPT
  alike) and counts as raw; its partition table is checked, except for aki/ari,
  whose bytes qemu never opens as a disk (a bzImage kernel carries a boot-sector
  signature but no partitions);
- a hybrid ISO (bootable as a disk too) also carries an MBR: `iso` + `gpt` is an iso.

Any other second match is refused (`multiple_formats`; `iso_with_qcow2` for the
qcow2-header-in-an-ISO attack).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from oslo_utils.imageutils import format_inspector as fi

from infra.errors import HostflowError

DISK_FORMATS = {"aki", "ari", "ami", "iso", "qcow2", "raw", "vdi", "vhd", "vhdx", "vmdk"}
CONTAINER_FORMATS = {"bare", "aki", "ari", "ami", "ova"}

RAW_LIKE = {"raw", "aki", "ari", "ami"}
_NOT_DISKS = {"aki", "ari"}
_QEMU_NAMES = {"vhd": "vpc"}
_CHECK_REASONS = {"backing_file": "backing_file", "data_file": "data_file", "descriptor": "vmdk_extent"}
# Inspectors see the bytes in pieces of this size, as Glance feeds them: one that
# finds a region's place in a piece (VHDX metadata) reads it from the next pieces.
FEED = 64 << 10


class ImageRejected(HostflowError):
    """details["reason"] is one short stable word: format_mismatch, multiple_formats,
    backing_file, data_file, vmdk_extent, iso_with_qcow2, virtual_size_too_large,
    unknown_format, unsafe_image (another failed safety check) or malformed; the
    upload API adds empty."""

    code, status = "image_rejected", 422

    def __init__(self, message: str, reason: str | None = None, details: dict | None = None):
        details = dict(details or {})
        if reason:
            details["reason"] = reason
        super().__init__(message, details=details)

    @property
    def reason(self) -> str:
        return self.details.get("reason", "")


@dataclass(frozen=True)
class Inspection:
    """format: the image's format as the inspector names it (`raw` for a partitioned
    raw disk); qemu_format: the name to give `qemu-img -f`."""

    format: str
    virtual_size: int
    actual_size: int

    @property
    def qemu_format(self) -> str:
        return qemu_format(self.format)


def qemu_format(fmt: str) -> str:
    """qemu-img's name for a disk format (vhd is `vpc`; aki/ari/ami are raw bytes)."""
    if fmt in RAW_LIKE:
        return "raw"
    return _QEMU_NAMES.get(fmt, fmt)


def check_declared(declared_format: str) -> None:
    if declared_format not in DISK_FORMATS:
        raise ImageRejected(f"unknown disk_format {declared_format!r}; one of {', '.join(sorted(DISK_FORMATS))}",
                            "unknown_format")


class InspectingStream:
    """Inspects bytes as they pass: `feed` each chunk in order, then `result`.
    Holds only the inspectors' capture regions (headers, the VMDK descriptor and footer).
    An inspector that has all it needs and did not change on the last piece is settled
    and sees no more bytes: past the headers, most uploads cost no inspection at all."""

    def __init__(self, declared_format: str):
        check_declared(declared_format)
        self.declared = declared_format
        self.size = 0
        self._inspectors = {name: cls() for name, cls in fi.ALL_FORMATS.items() if name != "raw"}
        self._active = dict(self._inspectors)
        self._errors: dict[str, str] = {}

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        for start in range(0, len(chunk), FEED):
            if not self._active:
                return
            self._eat(chunk[start:start + FEED])

    @property
    def wants_bytes(self) -> bool:
        """False once every inspector is settled: the rest need only be counted (`skip`)."""
        return bool(self._active)

    def skip(self, count: int) -> None:
        """Counts bytes that pass uninspected (only while no inspector wants them)."""
        if count and self._active:
            raise ValueError("an inspector still reads the stream")
        self.size += count

    def _eat(self, piece: bytes) -> None:
        for name, inspector in list(self._active.items()):
            before = inspector.context_info
            try:
                inspector.eat_chunk(piece)
            except Exception as exc:  # noqa: BLE001 - an inspector that cannot parse the bytes is no match
                self._errors[name] = str(exc)
                del self._active[name]
                continue
            if inspector.complete and inspector.context_info == before:
                del self._active[name]

    def result(self, max_virtual_size: int) -> Inspection:
        """The inspection of everything fed; raises ImageRejected."""
        for inspector in self._inspectors.values():
            inspector.finish()
        found = self._accepted(self._matches())
        inspection = Inspection(found.format, found.virtual_size or self.size, self.size)
        if inspection.virtual_size > max_virtual_size:
            raise ImageRejected(f"virtual size {inspection.virtual_size} bytes is over the limit of "
                                f"{max_virtual_size} bytes", "virtual_size_too_large")
        return inspection

    def _matches(self) -> dict[str, fi.FileInspector]:
        return {name: i for name, i in self._inspectors.items()
                if name not in self._errors and i.complete and i.format_match}

    def _accepted(self, matches: dict[str, fi.FileInspector]) -> Inspection:
        names = set(matches)
        if self.declared == "iso" and names == {"iso", "gpt"}:
            names = {"iso"}
        elif self.declared in RAW_LIKE and names == {"gpt"}:
            if self.declared not in _NOT_DISKS:
                safety_check(matches["gpt"])
            return Inspection("raw", 0, self.size)
        if {"iso", "qcow2"} <= names:
            raise ImageRejected("the image is an ISO with a qcow2 header inside", "iso_with_qcow2")
        if len(names) > 1:
            raise ImageRejected(f"the image matches several formats: {', '.join(sorted(names))}",
                                "multiple_formats", {"formats": sorted(names)})
        detected = names.pop() if names else "raw"
        expected = "raw" if self.declared in RAW_LIKE else self.declared
        if detected != expected:
            why = f" ({self._errors[expected]})" if expected in self._errors else ""
            raise ImageRejected(f"disk_format is {self.declared} but the image is {detected}{why}",
                                "format_mismatch", {"detected": detected})
        if detected == "raw":
            return Inspection("raw", 0, self.size)
        safety_check(matches[detected])
        return Inspection(detected, matches[detected].virtual_size, self.size)


def safety_check(inspector: fi.FileInspector) -> None:
    try:
        inspector.safety_check()
    except fi.SafetyCheckFailed as exc:
        first = next(iter(exc.failures))
        reason = _CHECK_REASONS.get(first, "unsafe_image")
        failures = {name: str(err) for name, err in exc.failures.items()}
        text = "; ".join(f"{name}: {err}" for name, err in failures.items())
        raise ImageRejected(f"the image failed the {inspector} safety check ({text})", reason,
                            {"checks": failures}) from exc
    except fi.ImageFormatError as exc:
        raise ImageRejected(f"the image is not a valid {inspector}: {exc}", "malformed") from exc


def inspect_file(path: Path, declared_format: str, max_virtual_size: int) -> Inspection:
    """Reads only as far as an inspector needs (the headers; a streamOptimized VMDK to its
    footer at the end); raises ImageRejected."""
    stream = InspectingStream(declared_format)
    with open(path, "rb") as fh:
        while stream.wants_bytes and (chunk := fh.read(1 << 20)):
            stream.feed(chunk)
        stream.skip(os.fstat(fh.fileno()).st_size - stream.size)
    return stream.result(max_virtual_size)
