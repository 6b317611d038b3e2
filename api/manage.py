"""Administration: `python -m api.manage migrate | ensure-admin-token | create-token | register-image-dir`."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from infra.db import migrate
from infra.db.engine import database
from infra.db.images import ImageStore
from infra.db.tokens import TokenStore
from infra.image_inspection import ImageRejected, inspect_file
from infra.image_source import sha512_of
from infra.settings import Settings
from operations import bootstrap


def ensure_admin_token(settings: Settings, path: Path) -> None:
    if path.exists() and path.read_text().strip():
        if TokenStore(database(settings.database_url)).lookup(path.read_text().strip()):
            return
    token = TokenStore(database(settings.database_url)).create("admin", "admin")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    print(f"admin token written to {path}")


def register_image_dir(settings: Settings, directory: Path) -> dict:
    """Registers a built AKI/ARI/AMI triple from its manifest.json (idempotent). With
    an object store configured, the bytes are uploaded (multipart) and the images
    point at their objects; without one, at the local files."""
    manifest = json.loads((directory / "manifest.json").read_text())
    store = ImageStore(database(settings.database_url))
    uploader = Uploader(bootstrap.object_store(settings), settings.image_bucket, settings.max_image_virtual_gb << 30)
    files = manifest["files"]
    formats = {"aki": "aki", "ari": "ari", "ami": files["ami"]["disk_format"]}
    for kind, fmt in formats.items():  # all three pass, or nothing is registered
        files[kind]["inspection"] = uploader.inspect(directory / files[kind]["file"], fmt)
    ids = {}
    for kind in ("aki", "ari"):
        ids[kind] = _register(store, uploader, f"{manifest['name']}-{kind}", directory, files[kind], kind, {})["id"]
    ami = files["ami"]
    props = {"os_command_line": manifest.get("cmdline", "console=ttyS0"), "ami_disk_format": ami["disk_format"],
             "hostflow_readiness": "serial"}  # the test guest's HOSTFLOW-STATE lines (functions/readiness.py)
    image = _register(store, uploader, manifest["name"], directory, ami, ami["disk_format"], props,
                      kernel_id=ids["aki"], ramdisk_id=ids["ari"])
    print(f"image {image['name']} {image['id']}")
    return image


class Uploader:
    """Content-addressed image objects: key = SHA-512, uploaded once, after the same
    inspection as an upload through the API (a refused file raises ImageRejected)."""

    def __init__(self, objects, bucket: str, max_virtual_size: int):
        self.objects, self.bucket, self.max_virtual_size = objects, bucket, max_virtual_size
        if objects is not None:
            objects.ensure_bucket(bucket)

    def inspect(self, path: Path, disk_format: str):
        return inspect_file(path, disk_format, self.max_virtual_size)

    def location(self, path: Path, digest: str) -> str:
        if self.objects is None:
            return str(path)
        head = self.objects.head(self.bucket, digest)
        if head is None or head["size"] != path.stat().st_size:
            self.objects.upload_file(path, self.bucket, digest, metadata={"sha512": digest})
        return f"s3://{self.bucket}/{digest}"


def _register(store: ImageStore, uploader: Uploader, name: str, directory: Path, entry: dict, disk_format: str,
              props: dict, **refs) -> dict:
    path = directory / entry["file"]
    found = entry["inspection"]
    digest = entry.get("sha512") or sha512_of(path)
    location = uploader.location(path, digest)
    image = store.find_by_hash(name, digest)
    if image is not None and image["status"] != "active" and image["location"] == location:
        store.activate(image["id"])
    elif image is None or image["location"] != location:
        container = {"aki": "aki", "ari": "ari"}.get(disk_format, "ami" if refs else "bare")
        image = store.add(name=name, disk_format=disk_format, container_format=container, status="active",
                          size=path.stat().st_size, virtual_size=found.virtual_size, os_hash_value=digest,
                          location=location, properties=props, **refs)
    if props.items() - image["properties"].items():  # registered by an older set-up
        image = store.edit(image["id"], properties={**image["properties"], **props})
    store.deactivate_stale(name, image["id"])
    return image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.manage")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("migrate")
    p = sub.add_parser("ensure-admin-token")
    p.add_argument("--file", required=True, type=Path)
    p = sub.add_parser("create-token")
    p.add_argument("--name", required=True)
    p.add_argument("--role", default="operator")
    p.add_argument("--project", action="append", default=[])
    p = sub.add_parser("register-image-dir")
    p.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.cmd == "migrate":
        Path(settings.state_dir).mkdir(parents=True, exist_ok=True)
        migrate.upgrade(settings.database_url)
    elif args.cmd == "ensure-admin-token":
        ensure_admin_token(settings, args.file)
    elif args.cmd == "create-token":
        print(TokenStore(database(settings.database_url)).create(args.name, args.role, args.project))
    elif args.cmd == "register-image-dir":
        try:
            register_image_dir(settings, args.directory)
        except ImageRejected as exc:
            print(f"refused: {exc.message} ({exc.reason})", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
