"""Benchmark: the image service (upload rate, first boot from a new image, rebuild against allocate).

    source .hostflow/openrc
    PYTHONPATH=. .venv/bin/python -m bench.image [--runs 3] [--size-mib 256]

1. upload throughput: PUT /v1/images/{id}/file against boto3's upload_file of the same
   bytes, in the same run (this file);
2. first boot from a newly registered image (cache miss) against the same image cached;
3. rebuild time against allocate time.

Needs the local stack up (scripts/stack.sh up). Prints figures, ratios and targets;
a missed target prints MISSED but the exit status stays 0. See bench/README.md."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from infra.settings import Settings
from operations import bootstrap

MIB = 1 << 20
TARGET_RATIO = 0.8


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


class LargeBlocks(HTTPAdapter):
    """Sends a streamed body 1 MiB a write (urllib3's default is 16 KiB), as curl or any
    uploader built for large files would; the client shares the machine's two cores."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, blocksize=1 << 20, **kwargs)


class Api:
    def __init__(self):
        self.url = os.environ["HOSTFLOW_API_URL"].rstrip("/")
        self.session = requests.Session()
        self.session.mount("http://", LargeBlocks())
        self.session.headers["Authorization"] = f"Bearer {os.environ['HOSTFLOW_TOKEN']}"

    def call(self, method: str, path: str, expect: int = 200, **kw) -> dict:
        resp = self.session.request(method, self.url + path, timeout=600, **kw)
        if resp.status_code != expect:
            raise SystemExit(f"{method} {path}: {resp.status_code} {resp.text[:300]}")
        return resp.json()


# ------------------------------------------------------------------- upload --
def make_image(directory: Path, size: int) -> Path:
    """A qcow2 of `size` bytes of random data (random: nothing to compress or skip)."""
    raw, image = directory / "bench.raw", directory / "bench.qcow2"
    with open(raw, "wb") as fh:
        for _ in range(size // MIB):
            fh.write(os.urandom(MIB))
    subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", str(raw), str(image)], check=True)
    raw.unlink()
    return image


class UploadBench:
    """hostflow: POST /v1/images, then the timed PUT of the file (requests streams it from
    disk; the API hashes, inspects and stores it through a multipart upload). bare:
    boto3's upload_file of the same file with its default transfer settings (8 MiB parts,
    10 threads), into the same bucket. Interleaved; each image is deleted after its run."""

    def __init__(self, settings: Settings, path: Path):
        self.api, self.path = Api(), path
        self.objects, self.bucket = bootstrap.object_store(settings), settings.image_bucket

    def run(self, runs: int) -> dict:
        self.objects.ensure_bucket(self.bucket)
        times: dict[str, list[float]] = {"hostflow": [], "bare": []}
        for _ in range(runs):
            times["hostflow"].append(self._hostflow())
            times["bare"].append(self._bare())
        return times

    def _hostflow(self) -> float:
        body = {"name": f"bench-img-{uuid.uuid4().hex[:6]}", "disk_format": "qcow2", "container_format": "bare"}
        image = self.api.call("POST", "/v1/images", expect=201, json=body)["image"]
        try:
            with open(self.path, "rb") as fh:
                start = time.perf_counter()
                done = self.api.call("PUT", f"/v1/images/{image['id']}/file", data=fh,
                                     headers={"Content-Type": "application/octet-stream"})["image"]
                took = time.perf_counter() - start
            if done["status"] != "active" or done["size"] != self.path.stat().st_size:
                raise SystemExit(f"upload ended {done['status']}: {done.get('status_message')}")
            return took
        finally:
            self.api.call("DELETE", f"/v1/images/{image['id']}")

    def _bare(self) -> float:
        key = f"bench/{uuid.uuid4()}"
        start = time.perf_counter()
        self.objects.client.upload_file(str(self.path), self.bucket, key)
        took = time.perf_counter() - start
        self.objects.delete(self.bucket, key)
        return took


def report_upload(times: dict, size: int) -> None:
    mb = size / 1e6
    hf, bare = mb / statistics.median(times["hostflow"]), mb / statistics.median(times["bare"])
    ratio = hf / bare
    print(f"\nUpload, a {size / MIB:.0f} MiB qcow2 of random data, median of {len(times['bare'])} runs (MB/s):")
    print(f"  PUT /v1/images/{{id}}/file {hf:7.1f}   boto3 upload_file {bare:7.1f}   ratio {ratio:4.2f}x "
          f"(target >= {TARGET_RATIO}x: {verdict(ratio >= TARGET_RATIO)})")
    print("  hostflow: HTTP to the API, SHA-512 and format inspection of every byte, multipart upload "
          "(16 MiB parts, 5 in flight), inspection before the object is completed.")


# --------------------------------------------------------------- first boot --
FLAVOR = {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}
TERMINAL = {"succeeded", "failed", "rolled_back", "cancelled", "rejected"}


def _wait(api: Api, op_id: str) -> dict:
    while True:
        op = api.call("GET", f"/v1/operations/{op_id}")["operation"]
        if op["state"] in TERMINAL:
            if op["state"] != "succeeded":
                raise SystemExit(f"{op['kind']} {op['state']}: {op['error']}")
            return op
        time.sleep(0.05)


def _timed(api: Api, method: str, path: str, body: dict | None = None) -> tuple[float, dict]:
    start = time.perf_counter()
    accepted = api.call(method, path, expect=202, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    op = _wait(api, accepted["operation"]["id"])
    return time.perf_counter() - start, op


def _step_seconds(op: dict, name: str) -> float:
    from datetime import datetime

    step = next(s for s in op["steps"] if s["name"] == name and s["direction"] == "do")
    return (datetime.fromisoformat(step["finished"]) - datetime.fromisoformat(step["started"])).total_seconds()


def _upload(api: Api, path: Path, body: dict) -> dict:
    image = api.call("POST", "/v1/images", expect=201, json=body)["image"]
    with open(path, "rb") as fh:
        return api.call("PUT", f"/v1/images/{image['id']}/file", data=fh,
                        headers={"Content-Type": "application/octet-stream"})["image"]


def register_copy(api: Api, settings: Settings) -> list[dict]:
    """The test image's kernel, ramdisk and root disk registered anew through the API:
    new image ids, so no node has them cached."""
    directory = settings.state_dir / "images" / "test"
    manifest = json.loads((directory / "manifest.json").read_text())
    files, tag = manifest["files"], uuid.uuid4().hex[:6]
    kernel = _upload(api, directory / files["aki"]["file"], {"name": f"bench-aki-{tag}", "disk_format": "aki",
                                                             "container_format": "aki"})
    ramdisk = _upload(api, directory / files["ari"]["file"], {"name": f"bench-ari-{tag}", "disk_format": "ari",
                                                              "container_format": "ari"})
    root = _upload(api, directory / files["ami"]["file"], {
        "name": f"bench-root-{tag}", "disk_format": "qcow2", "container_format": "ami", "kernel_id": kernel["id"],
        "ramdisk_id": ramdisk["id"], "properties": {"os_command_line": manifest["cmdline"]}})
    return [root, kernel, ramdisk]


def first_boot_figure(settings: Settings, runs: int) -> None:
    """Allocating from a newly registered image (its kernel, ramdisk and root disk are
    fetched, checked and inspected on the node) against allocating from it again, cached.
    POST -> operation succeeded (the guest reported up), and the cache step alone."""
    api, times = Api(), {"miss": [], "hit": [], "miss_step": [], "hit_step": []}
    for _ in range(runs):
        images = register_copy(api, settings)
        try:
            for label in ("miss", "hit"):
                took, op = _timed(api, "POST", "/v1/hosts", {"name": f"bench-boot-{uuid.uuid4().hex[:6]}",
                                                              "env": "test", "image": images[0]["id"],
                                                              "flavor": FLAVOR, "hypervisor": "hv1"})
                times[label].append(took)
                times[f"{label}_step"].append(_step_seconds(op, "ensure_image_cached"))
                _timed(api, "DELETE", f"/v1/hosts/{op['host_id']}")
        finally:
            for image in images:
                api.call("DELETE", f"/v1/images/{image['id']}")
    miss, hit = statistics.median(times["miss"]), statistics.median(times["hit"])
    print(f"\nFirst boot from a newly registered image, median of {runs} runs (POST -> guest up):")
    print(f"  cache miss {miss:6.2f} s (image step {statistics.median(times['miss_step']):5.2f} s)   cached "
          f"{hit:6.2f} s (image step {statistics.median(times['hit_step']):5.2f} s)   ratio {miss / hit:4.2f}x")


# ------------------------------------------------------------------ rebuild --
def rebuild_figure(settings: Settings, runs: int) -> None:
    """POST /v1/hosts/{id}/rebuild until the operation succeeded (stop, new disk, start,
    guest up, old disk deleted) against allocating a host from the same, cached image."""
    api, times = Api(), {"allocate": [], "rebuild": []}
    for _ in range(runs):
        took, op = _timed(api, "POST", "/v1/hosts", {"name": f"bench-rb-{uuid.uuid4().hex[:6]}", "env": "test",
                                                      "image": "hostflow-test", "flavor": FLAVOR})
        times["allocate"].append(took)
        try:
            took, _ = _timed(api, "POST", f"/v1/hosts/{op['host_id']}/rebuild", {"image": "hostflow-test"})
            times["rebuild"].append(took)
        finally:
            _timed(api, "DELETE", f"/v1/hosts/{op['host_id']}")
    alloc, rebuild = statistics.median(times["allocate"]), statistics.median(times["rebuild"])
    print(f"\nRebuild against allocate (same cached image), median of {runs} runs (POST -> guest up):")
    print(f"  rebuild {rebuild:6.2f} s   allocate {alloc:6.2f} s   ratio {rebuild / alloc:4.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--only", choices=["upload", "boot", "rebuild"])
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if not (settings.s3_endpoint and os.environ.get("HOSTFLOW_TOKEN")):
        print("no object store or token: source .hostflow/openrc first", file=sys.stderr)
        return 2
    if args.only in (None, "upload"):
        with tempfile.TemporaryDirectory(dir=settings.state_dir) as tmp:
            path = make_image(Path(tmp), args.size_mib * MIB)
            report_upload(UploadBench(settings, path).run(args.runs), path.stat().st_size)
    if args.only in (None, "boot"):
        first_boot_figure(settings, args.runs)
    if args.only in (None, "rebuild"):
        rebuild_figure(settings, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
