"""Registering a built AKI/ARI/AMI image directory, and registering it again after a rebuild."""
import json
from pathlib import Path

import pytest

from api.manage import register_image_dir
from infra.db.images import ImageStore
from infra.image_inspection import ImageRejected
from infra.image_source import sha512_of
from infra.settings import Settings
from tests import image_files


def build(directory, ami_bytes: bytes) -> None:
    directory.mkdir(exist_ok=True)
    files = {"aki": ("vmlinux", b"kernel"), "ari": ("initrd.img", b"ramdisk"), "ami": ("root.qcow2", ami_bytes)}
    manifest = {"name": "t", "cmdline": "console=ttyS0", "files": {}}
    for kind, (name, data) in files.items():
        (directory / name).write_bytes(data)
        manifest["files"][kind] = {"file": name, "disk_format": "raw" if kind == "ami" else kind,
                                   "sha512": sha512_of(directory / name)}
    (directory / "manifest.json").write_text(json.dumps(manifest))


def test_registers_the_triple_with_checksums_and_links(tmp_path, db):
    build(tmp_path / "img", b"root-1")
    settings = Settings.from_env({"HOSTFLOW_DATABASE_URL": db.url})
    image = register_image_dir(settings, tmp_path / "img")
    assert image["os_hash_value"] == sha512_of(tmp_path / "img" / "root.qcow2")
    kernel = ImageStore(db).get(image["kernel_id"])
    assert kernel["disk_format"] == "aki" and kernel["container_format"] == "aki"
    assert image["properties"]["os_command_line"] == "console=ttyS0"


def test_registering_again_is_already_done(tmp_path, db):
    build(tmp_path / "img", b"root-1")
    settings = Settings.from_env({"HOSTFLOW_DATABASE_URL": db.url})
    first = register_image_dir(settings, tmp_path / "img")
    assert register_image_dir(settings, tmp_path / "img")["id"] == first["id"]
    assert len(ImageStore(db).list()) == 3


def test_a_rebuild_supersedes_the_old_record(tmp_path, db):
    settings = Settings.from_env({"HOSTFLOW_DATABASE_URL": db.url})
    build(tmp_path / "img", b"root-1")
    old = register_image_dir(settings, tmp_path / "img")
    build(tmp_path / "img", b"root-2")
    new = register_image_dir(settings, tmp_path / "img")
    store = ImageStore(db)
    assert store.get("t")["id"] == new["id"] != old["id"]
    assert store.get(old["id"])["status"] == "deactivated"


def test_a_file_that_fails_inspection_registers_nothing(tmp_path, db):
    evil = image_files.qcow2_with_backing(tmp_path / "evil.qcow2", Path("/etc/passwd")).read_bytes()
    build(tmp_path / "img", evil)  # declared raw, holds a qcow2 naming a host file
    settings = Settings.from_env({"HOSTFLOW_DATABASE_URL": db.url})
    with pytest.raises(ImageRejected) as info:
        register_image_dir(settings, tmp_path / "img")
    assert info.value.reason == "format_mismatch"
    assert ImageStore(db).list() == []


def test_registration_records_the_virtual_size(tmp_path, db):
    build(tmp_path / "img", b"root-1" * 1000)
    image = register_image_dir(Settings.from_env({"HOSTFLOW_DATABASE_URL": db.url}), tmp_path / "img")
    assert image["virtual_size"] == image["size"] == 6000
