"""Benchmark: the image service (issue 4's three figures).

    source .hostflow/openrc
    PYTHONPATH=. .venv/bin/python -m bench.image [--runs 3] [--size-mib 256]

1. upload throughput: PUT /v1/images/{id}/file against boto3's upload_file of the same
   bytes, in the same run (this file);
2. first boot from a newly registered image (cache miss) against a cached one:
   `first_boot_figure`, to be filled in;
3. rebuild time against allocate time: `rebuild_figure`, to be filled in.

Needs the local stack up (scripts/stack.sh up). Prints figures, ratios and targets;
a missed target prints MISSED but the exit status stays 0. See bench/README.md."""
from __future__ import annotations

import argparse
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

from infra import bootstrap
from infra.settings import Settings

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


# --------------------------------------------------------- first boot (TODO) --
def first_boot_figure(settings: Settings, runs: int) -> None:
    """Figure 2, to be filled in by the image cache work: time to first boot from a newly
    registered image (cache miss on the node) against the same image already cached."""
    print("\nFirst boot, cache miss vs cached: not measured yet (bench.image.first_boot_figure)")


# ------------------------------------------------------------ rebuild (TODO) --
def rebuild_figure(settings: Settings, runs: int) -> None:
    """Figure 3, to be filled in by the rebuild work: POST /v1/hosts/{id}/rebuild until the
    operation succeeded, against allocating a host from the same image."""
    print("\nRebuild vs allocate: not measured yet (bench.image.rebuild_figure)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size-mib", type=int, default=256)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if not (settings.s3_endpoint and os.environ.get("HOSTFLOW_TOKEN")):
        print("no object store or token: source .hostflow/openrc first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(dir=settings.state_dir) as tmp:
        path = make_image(Path(tmp), args.size_mib * MIB)
        report_upload(UploadBench(settings, path).run(args.runs), path.stat().st_size)
    first_boot_figure(settings, args.runs)
    rebuild_figure(settings, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
