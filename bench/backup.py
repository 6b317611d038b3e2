"""Benchmark: volume backup and restore throughput against bare boto3, and attach to
visible-in-guest against a bare attachDeviceFlags call.

    source .hostflow/openrc
    PYTHONPATH=. .venv/bin/python -m bench.backup [--runs 3] [--size-mib 512] [--skip-attach]

Needs the local stack up (scripts/stack.sh up). Prints figures, ratios and targets;
a missed target prints MISSED but the exit status stays 0. See bench/README.md."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import libvirt
import requests

from functions import backups
from functions.volumes import pool_name, visible_block
from infra import console
from infra.block_io import BlockDevice
from infra.domain_xml import domain_name
from infra.libvirt_storage import PoolSpec
from infra.settings import Settings
from operations import bootstrap

MIB = 1 << 20
TARGET_RATIO = 0.8
BENCH_NODE = "bench-backup"
TERMINAL = {"succeeded", "failed", "rolled_back", "cancelled", "rejected"}

libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


# --------------------------------------------------------------- throughput --
class Throughput:
    """hostflow's backup and restore functions (as the hypervisor worker runs them, on a
    libvirt pool volume) against boto3's upload_file / download_file of the same file
    with boto3's default transfer settings, interleaved in one process."""

    def __init__(self, settings: Settings, size: int):
        self.settings = settings.with_node(BENCH_NODE)
        self.node = bootstrap.node_context(self.settings)
        self.objects, self.size = self.node.objects, size
        self.bucket = settings.backup_bucket
        self.pool, self.dir = pool_name(self.node), self.node.root / "volumes"
        self.made: list[str] = []

    def volume(self, fill: bool) -> dict:
        vid = f"bench-{uuid.uuid4().hex[:12]}"
        self.node.make_dir(self.dir)
        self.node.storage.ensure_pool(self.pool, PoolSpec("dir", self.dir))
        self.node.storage.create_volume(self.pool, f"vol-{vid}.raw", self.size)
        self.made.append(vid)
        path = self.node.storage.volume(self.pool, f"vol-{vid}.raw")["path"]
        if fill:
            with BlockDevice(path, writable=True) as dev:
                for offset in range(0, self.size, 64 * MIB):
                    dev.write(offset, os.urandom(min(64 * MIB, self.size - offset)))
                dev.sync()
        return {"volume_id": vid, "path": path}

    def run(self, runs: int) -> dict:
        self.objects.ensure_bucket(self.bucket)
        source = self.volume(fill=True)
        times: dict[str, list[float]] = {"bare_up": [], "hf_backup": [], "bare_down": [], "hf_restore": []}
        for _ in range(runs):
            key = f"bench/{uuid.uuid4()}.raw"
            times["bare_up"].append(timed(self.objects.client.upload_file, source["path"], self.bucket, key))
            req = {"backup_id": str(uuid.uuid4()), "volume_id": source["volume_id"], "bucket": self.bucket,
                   "chunk_size": self.settings.backup_chunk_size, "parent_manifest": None}
            req["manifest"] = backups.manifest_key(source["volume_id"], req["backup_id"])
            times["hf_backup"].append(timed(backups.backup_volume, self.node, req))
            landing = self.dir / f"bare-{uuid.uuid4().hex[:8]}.raw"
            times["bare_down"].append(timed(self.objects.client.download_file, self.bucket, key, str(landing)))
            landing.unlink()
            target = self.volume(fill=False)
            restore = {"volume_id": target["volume_id"], "bucket": self.bucket, "manifest": req["manifest"]}
            times["hf_restore"].append(timed(backups.restore_backup, self.node, restore))
            self._check_same(source["path"], target["path"])
            self.objects.delete(self.bucket, key)
            backups.delete_backup_objects(self.node, req)
            self._drop(target["volume_id"])
        return times

    def _check_same(self, a: str, b: str) -> None:
        with BlockDevice(a) as x, BlockDevice(b) as y:
            for offset in range(0, self.size, 64 * MIB):
                if x.read(offset, 64 * MIB) != y.read(offset, 64 * MIB):
                    raise SystemExit(f"restored volume differs from the source at {offset}")

    def _drop(self, vid: str) -> None:
        self.node.storage.delete_volume(self.pool, f"vol-{vid}.raw")
        self.made.remove(vid)

    def close(self) -> None:
        for vid in list(self.made):
            self._drop(vid)
        self.node.storage.remove_pool(self.pool)
        self.node.compute.close()


def report_throughput(times: dict, size: int) -> None:
    mb = size / 1e6
    rate = {k: mb / statistics.median(v) for k, v in times.items()}
    print(f"\nThroughput, {size // MIB} MiB of random data, median of {len(times['bare_up'])} runs (MB/s):")
    for label, hf, bare in (("backup  vs upload_file  ", "hf_backup", "bare_up"),
                            ("restore vs download_file", "hf_restore", "bare_down")):
        ratio = rate[hf] / rate[bare]
        print(f"  {label}: hostflow {rate[hf]:7.1f}  boto3 {rate[bare]:7.1f}  ratio {ratio:4.2f}x "
              f"(target >= {TARGET_RATIO}x: {verdict(ratio >= TARGET_RATIO)})")
    print("  hostflow: SHA-256 of every chunk, zero detection, manifest; restore verifies every chunk and fsyncs.")


# ------------------------------------------------------------------- attach --
class AttachBench:
    """POST /v1/hosts/{id}/volumes until the operation succeeded (its last step waits for
    the guest to list the serial), against attachDeviceFlags on the same domain and a
    poll of the same console log for the serial. The guest prints its state about once
    a second: both figures carry that granularity."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {os.environ['HOSTFLOW_TOKEN']}"
        self.url = os.environ["HOSTFLOW_API_URL"].rstrip("/")

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        changes = method in ("POST", "DELETE")  # the API refuses a change without an Idempotency-Key
        resp = self.session.request(method, self.url + path, json=body, timeout=60,
                                    headers={"Idempotency-Key": str(uuid.uuid4())} if changes else {})
        if resp.status_code >= 300:
            raise SystemExit(f"{method} {path}: {resp.status_code} {resp.text[:300]}")
        return resp.json()

    def wait(self, accepted: dict) -> dict:
        op_id = accepted["operation"]["id"]
        while True:
            op = self.call("GET", f"/v1/operations/{op_id}")["operation"]
            if op["state"] in TERMINAL:
                if op["state"] != "succeeded":
                    raise SystemExit(f"operation {op['kind']} {op['state']}: {op['error']}")
                return op
            time.sleep(0.02)

    def run(self, runs: int) -> dict:
        host_op = self.wait(self.call("POST", "/v1/hosts", {
            "name": f"bench-attach-{uuid.uuid4().hex[:6]}", "env": "test", "image": "hostflow-test",
            "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}))
        host = self.call("GET", f"/v1/hosts/{host_op['host_id']}")["host"]
        volumes = [self._volume(host) for _ in range(2)]
        conn = libvirt.open(self.settings.libvirt_uri)
        times: dict[str, list[float]] = {"hostflow": [], "bare": []}
        try:
            for _ in range(runs):
                start = time.perf_counter()
                self.wait(self.call("POST", f"/v1/hosts/{host['id']}/volumes", {"volume_id": volumes[0]["id"]}))
                times["hostflow"].append(time.perf_counter() - start)
                times["bare"].append(self._bare(conn, host, volumes[1]))
                self.wait(self.call("DELETE", f"/v1/hosts/{host['id']}/volumes/{volumes[0]['id']}"))
                self._gone_from_guest(host, volumes[0])
        finally:
            conn.close()
            self.wait(self.call("DELETE", f"/v1/hosts/{host['id']}"))
            for vol in volumes:
                self.wait(self.call("DELETE", f"/v1/volumes/{vol['id']}"))
        return times

    def _volume(self, host: dict) -> dict:
        op = self.wait(self.call("POST", "/v1/volumes", {"name": f"bench-{uuid.uuid4().hex[:6]}", "size_gb": 1,
                                                         "env": "test", "hypervisor": host["hypervisor"]}))
        return self.call("GET", f"/v1/volumes/{op['volume_id']}")["volume"]

    def _bare(self, conn, host: dict, volume: dict) -> float:
        path = self.settings.state_dir / "nodes" / host["hypervisor"] / "volumes" / f"vol-{volume['id']}.raw"
        disk = ET.Element("disk", {"type": "file", "device": "disk"})
        ET.SubElement(disk, "driver", {"name": "qemu", "type": "raw"})
        ET.SubElement(disk, "source", {"file": str(path)})
        ET.SubElement(disk, "target", {"dev": "vdz", "bus": "virtio"})
        ET.SubElement(disk, "serial").text = volume["id"]
        xml = ET.tostring(disk, encoding="unicode")
        dom = conn.lookupByName(domain_name(host["id"]))
        log = self._log(host)
        start = time.perf_counter()
        dom.attachDeviceFlags(xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
        while visible_block(console.latest(log), volume["id"]) is None:
            time.sleep(0.02)
        took = time.perf_counter() - start
        dom.detachDeviceFlags(xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
        self._gone_from_guest(host, volume)
        return took

    def _log(self, host: dict) -> Path:
        return self.settings.state_dir / "nodes" / host["hypervisor"] / "instances" / host["id"] / "console.log"

    def _gone_from_guest(self, host: dict, volume: dict) -> None:
        """Each run starts from a guest that has reported the disk gone."""
        while visible_block(console.latest(self._log(host)), volume["id"]) is not None:
            time.sleep(0.05)


def report_attach(times: dict) -> None:
    hf, bare = statistics.median(times["hostflow"]), statistics.median(times["bare"])
    print(f"\nAttach to visible in the guest, median of {len(times['bare'])} runs:")
    print(f"  hostflow (POST -> operation succeeded) {hf:6.3f} s   bare attachDeviceFlags -> serial on console "
          f"{bare:6.3f} s   ratio {hf / bare:4.2f}x, overhead {hf - bare:+.3f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--skip-attach", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if not settings.s3_endpoint:
        print("no object store configured: source .hostflow/openrc first", file=sys.stderr)
        return 2
    size = args.size_mib * MIB
    bench = Throughput(settings, size)
    try:
        report_throughput(bench.run(args.runs), size)
    finally:
        bench.close()
    if not args.skip_attach:
        report_attach(AttachBench(settings).run(args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

