"""Format inspection of real files made by qemu-img and pycdlib: what is accepted, as
what, and each hostile file refused with its reason."""
import os

import pytest

from infra.image_inspection import (
    CONTAINER_FORMATS,
    DISK_FORMATS,
    ImageRejected,
    InspectingStream,
    Inspection,
    inspect_file,
)
from tests import image_files as files

MIB = files.MIB
GIB = 1 << 30
LIMIT = 8 * GIB


def rejected(path, declared: str, limit: int = LIMIT) -> ImageRejected:
    with pytest.raises(ImageRejected) as info:
        inspect_file(path, declared, limit)
    assert info.value.status == 422 and info.value.code == "image_rejected"
    return info.value


def test_the_format_lists_are_glances():
    assert DISK_FORMATS == {"aki", "ari", "ami", "iso", "qcow2", "raw", "vdi", "vhd", "vhdx", "vmdk"}
    assert CONTAINER_FORMATS == {"bare", "aki", "ari", "ami", "ova"}


@pytest.mark.parametrize("declared, qemu_name", [
    ("qcow2", "qcow2"), ("vdi", "vdi"), ("vhd", "vpc"), ("vhdx", "vhdx"), ("vmdk", "vmdk"),
])
def test_each_disk_format_is_recognised_with_its_virtual_size(tmp_path, declared, qemu_name):
    path = files.image(tmp_path / f"disk.{declared}", qemu_name, 64 * MIB)
    found = inspect_file(path, declared, LIMIT)
    assert found.format == declared and found.qemu_format == qemu_name
    assert found.actual_size == path.stat().st_size
    # VHD rounds up to its own geometry; the rest keep the exact size
    assert 64 * MIB <= found.virtual_size < 65 * MIB


def test_a_qcow2_with_data_keeps_its_virtual_and_actual_size(tmp_path):
    path = files.qcow2_with_data(tmp_path / "data.qcow2", 32 * MIB)
    assert inspect_file(path, "qcow2", LIMIT) == Inspection("qcow2", 32 * MIB, path.stat().st_size)


def test_a_stream_optimized_vmdk_is_accepted(tmp_path):
    path = files.image(tmp_path / "so.vmdk", "vmdk", 32 * MIB, "subformat=streamOptimized")
    assert inspect_file(path, "vmdk", LIMIT).virtual_size == 32 * MIB


def test_raw_bytes_are_raw_with_their_own_size(tmp_path):
    path = files.random_file(tmp_path / "disk.raw", 3 * MIB + 5)
    assert inspect_file(path, "raw", LIMIT) == Inspection("raw", 3 * MIB + 5, 3 * MIB + 5)


def test_a_raw_disk_with_a_partition_table_is_raw(tmp_path):
    path = files.mbr_disk(tmp_path / "disk.raw")
    found = inspect_file(path, "raw", LIMIT)
    assert (found.format, found.qemu_format, found.virtual_size) == ("raw", "raw", 4 * MIB)


@pytest.mark.parametrize("declared", ["aki", "ari", "ami"])
def test_kernel_ramdisk_and_machine_images_are_raw_bytes(tmp_path, declared):
    path = files.random_file(tmp_path / declared, MIB)
    found = inspect_file(path, declared, LIMIT)
    assert (found.format, found.qemu_format) == ("raw", "raw")


def test_a_kernel_with_a_boot_sector_signature_is_an_aki_but_not_a_raw_disk(tmp_path):
    path = files.boot_sector_only(tmp_path / "bzImage")
    assert inspect_file(path, "aki", LIMIT).format == "raw"
    assert rejected(path, "raw").reason == "unsafe_image"


def test_an_iso_has_the_size_of_its_volume(tmp_path):
    path = files.iso(tmp_path / "disc.iso", {"a": b"x" * 100_000})
    found = inspect_file(path, "iso", LIMIT)
    assert found.format == "iso" and found.virtual_size == path.stat().st_size


def test_a_format_other_than_the_declared_one_is_refused(tmp_path):
    qcow2 = files.image(tmp_path / "disk.qcow2", "qcow2")
    error = rejected(qcow2, "raw")
    assert error.reason == "format_mismatch" and error.details["detected"] == "qcow2"
    raw = files.random_file(tmp_path / "disk.raw", MIB)
    assert rejected(raw, "qcow2").reason == "format_mismatch"
    assert rejected(qcow2, "vmdk").reason == "format_mismatch"


def test_a_qcow2_with_a_backing_file_on_the_host_is_refused(tmp_path):
    host_file = files.raw_file(tmp_path / "host-secret", MIB)
    path = files.qcow2_with_backing(tmp_path / "evil.qcow2", host_file)
    error = rejected(path, "qcow2")
    assert error.reason == "backing_file" and "backing file" in error.message


def test_a_qcow2_with_an_external_data_file_is_refused(tmp_path):
    path = files.qcow2_with_data_file(tmp_path / "evil.qcow2", tmp_path / "host-data.raw")
    assert rejected(path, "qcow2").reason == "data_file"


def test_a_vmdk_with_a_flat_extent_naming_a_host_path_is_refused(tmp_path):
    host_file = files.raw_file(tmp_path / "host-disk", 16 * MIB)
    path = files.vmdk_flat_extent(tmp_path / "evil.vmdk", host_file)
    assert str(host_file) in path.read_text()
    assert rejected(path, "vmdk").reason == "vmdk_extent"


def test_an_iso_with_a_qcow2_inside_is_refused(tmp_path):
    path = files.iso_with_qcow2(tmp_path / "evil.iso", tmp_path)
    assert rejected(path, "iso").reason == "iso_with_qcow2"
    assert rejected(path, "qcow2").reason == "iso_with_qcow2"


def test_bytes_that_match_two_formats_are_refused(tmp_path):
    path = files.qcow2_and_mbr(tmp_path / "both.qcow2")
    error = rejected(path, "qcow2")
    assert error.reason == "multiple_formats" and error.details["formats"] == ["gpt", "qcow2"]


def test_a_virtual_size_over_the_limit_is_refused(tmp_path):
    path = files.image(tmp_path / "huge.qcow2", "qcow2", 10 * GIB)
    error = rejected(path, "qcow2", limit=GIB)
    assert error.reason == "virtual_size_too_large" and str(GIB) in error.message
    assert inspect_file(path, "qcow2", 10 * GIB).virtual_size == 10 * GIB


def test_an_unknown_disk_format_is_refused_before_reading(tmp_path):
    missing = tmp_path / "not-read"
    assert rejected(missing, "qed").reason == "unknown_format"


def test_a_stream_fed_in_uneven_chunks_finds_what_the_file_inspection_finds(tmp_path):
    path = files.image(tmp_path / "disk.vhdx", "vhdx", 48 * MIB)
    stream = InspectingStream("vhdx")
    data = path.read_bytes()
    step = 3 * MIB + 17
    for start in range(0, len(data), step):
        stream.feed(data[start:start + step])
    assert stream.result(LIMIT) == inspect_file(path, "vhdx", LIMIT)


def test_inspection_stops_reading_once_every_inspector_has_its_headers(tmp_path):
    path = files.qcow2_with_data(tmp_path / "disk.qcow2", 32 * MIB, os.urandom(4 * MIB))
    stream = InspectingStream("qcow2")
    stream.feed(path.read_bytes()[:MIB])
    assert not stream.wants_bytes
    stream.skip(path.stat().st_size - MIB)
    assert stream.result(LIMIT) == Inspection("qcow2", 32 * MIB, path.stat().st_size)
