"""Registering a built AKI/ARI/AMI image directory, and registering it again after a rebuild."""
import json

from api.manage import register_image_dir
from infra.db.images import ImageStore
from infra.image_source import sha512_of
from infra.settings import Settings


def build(directory, ami_bytes: bytes) -> None:
    directory.mkdir(exist_ok=True)
    files = {"aki": ("vmlinux", b"kernel"), "ari": ("initrd.img", b"ramdisk"), "ami": ("root.qcow2", ami_bytes)}
    manifest = {"name": "t", "cmdline": "console=ttyS0", "files": {}}
    for kind, (name, data) in files.items():
        (directory / name).write_bytes(data)
        manifest["files"][kind] = {"file": name, "disk_format": "qcow2" if kind == "ami" else kind,
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
