"""The stock Debian image in bench.allocate: hostflow against a bare script doing the
same qemu-img, config drive, libvirt and guest agent work, each measured to

    domain running   the domain started;
    guest ready      the guest agent reports the host's name and leased address;
    SSH answering    `ssh -i <key> <default user>@<address> true` succeeds from the
                     stack's gateway namespace on the VM bridge (tried from the moment
                     the address is known: hostflow's lease in the records, the bare
                     script's own).

The image is uploaded once through the image API as `bench-debian-12` (reused while its
SHA-512 matches the one set-up built). Needs the stack up and the image built
(scripts/build-debian-image.sh)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import libvirt
import libvirt_qemu

from bench.allocate import (
    BARE_ADDRESSES,
    BENCH_STACK,
    GIB,
    Api,
    BenchError,
    _destroy_undefine,
    analyse,
    col,
    fmt_s,
    median,
)
from functions import guest_agent
from functions.cloud_init import contents as nocloud_contents
from infra import config_drive, domain_xml
from infra.domain_xml import DomainSpec, Nic
from infra.settings import Settings

IMAGE_NAME = "bench-debian-12"
FLAVOR = {"vcpus": 1, "ram_mb": 768, "disk_gb": 3}
PROBE_NS = os.environ.get("HOSTFLOW_GATEWAY_NS", "hf-gw")
TARGET_READY_RATIO = 1.1
POLL = 0.2  # a TCG guest shares the cores with the poller: slower than the test image's
BOOT_TIMEOUT = 300.0


def manifest(settings: Settings) -> dict:
    path = settings.state_dir / "images" / "debian-12" / "manifest.json"
    if not path.exists():
        raise BenchError(f"no {path}: scripts/build-debian-image.sh builds the stock image")
    return {**json.loads(path.read_text()), "dir": path.parent}


def stock_image(api: Api, found: dict) -> dict:
    """The uploaded stock image, uploading it first when no active one has its bytes."""
    resp, _ = api.call("GET", f"/v1/images?name={IMAGE_NAME}&status=active")
    for image in resp.json()["images"]:
        if image["os_hash_value"] == found["sha512"]:
            return image
    body = {"name": IMAGE_NAME, "disk_format": found["disk_format"], "container_format": "bare",
            "properties": found["properties"], "min_disk_gb": 2}
    resp, _ = api.call("POST", "/v1/images", body)
    if resp.status_code != 201:
        raise BenchError(f"POST /v1/images: {resp.status_code} {resp.text[:300]}")
    image = resp.json()["image"]
    with open(found["dir"] / found["file"], "rb") as fh:
        put = api.session.put(f"{api.url}/v1/images/{image['id']}/file", data=fh, timeout=300,
                              headers={"Content-Type": "application/octet-stream"})
    if put.status_code != 200:
        raise BenchError(f"PUT image file: {put.status_code} {put.text[:300]}")
    return put.json()["image"]


class Probe:
    """The stack's gateway namespace on the VM bridge (scripts/stack.sh gateway-ns), from
    which SSH reaches guests on their own subnet, and a key pair."""

    def __init__(self, settings: Settings, user: str):
        self.settings, self.user = settings, user
        self.dir = Path(tempfile.mkdtemp(prefix="hf-bench-ssh-"))
        self.key = self.dir / "id_ed25519"

    def __enter__(self) -> Probe:
        have = subprocess.run(["ip", "-n", PROBE_NS, "-br", "addr"], capture_output=True, text=True).stdout
        if f"{self.settings.vm_gateway}/" not in have:
            raise BenchError(f"no namespace {PROBE_NS} holding {self.settings.vm_gateway}: is the stack up?")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key)], check=True)
        return self

    def __exit__(self, *_exc) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def public_key(self) -> str:
        return self.key.with_suffix(".pub").read_text().strip()

    def answers(self, address: str) -> bool:
        argv = ["ip", "netns", "exec", PROBE_NS, "ssh", "-i", str(self.key), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=2",
                "-o", "LogLevel=ERROR", f"{self.user}@{address}", "true"]
        return subprocess.run(argv, capture_output=True, timeout=30).returncode == 0

    def watch(self, address_of, deadline: float) -> dict:
        """Starts trying SSH in a thread once `address_of()` gives an address; the dict
        gets "answered" (epoch seconds) when it first succeeds."""
        seen: dict = {}

        def run() -> None:
            while time.monotonic() < deadline and "stop" not in seen:
                address = seen.get("address") or address_of()
                if address:
                    seen["address"] = address
                    if self.answers(address):
                        seen["answered"] = time.time()
                        return
                time.sleep(POLL)

        seen["thread"] = threading.Thread(target=run, daemon=True)
        seen["thread"].start()
        return seen


def leased_address(settings: Settings, host_id: str):
    """The host's first address as soon as IPAM has recorded it (hostflow's view shows it
    only once the operation ends)."""
    from sqlalchemy import select

    from infra.db.engine import database
    from infra.db.models import IpAllocation

    db = database(settings.database_url)

    def address() -> str | None:
        with db.reading() as s:
            return s.scalar(select(IpAllocation.address).where(IpAllocation.host_id == host_id).limit(1))
    return address


def hostflow_run(api: Api, settings: Settings, image: dict, probe: Probe, index: int) -> dict:
    body = {"name": f"bench-deb-{index}-{uuid.uuid4().hex[:6]}", "env": "test", "image": image["id"],
            "flavor": FLAVOR, "ssh_keys": [probe.public_key]}
    t_post = time.time()
    resp, _ = api.call("POST", "/v1/hosts", body, key=str(uuid.uuid4()))
    if resp.status_code != 202:
        raise BenchError(f"POST /v1/hosts: {resp.status_code} {resp.text[:300]}")
    host_id, op_id = resp.json()["host"]["id"], resp.json()["operation"]["id"]
    ssh = probe.watch(leased_address(settings, host_id), time.monotonic() + BOOT_TIMEOUT)
    try:
        op = api.wait(op_id, timeout=BOOT_TIMEOUT, poll=POLL)
        ssh["thread"].join(timeout=BOOT_TIMEOUT)
    finally:
        ssh["stop"] = True
        api.reclaim(host_id)
    result = {"host": host_id, **analyse(op, t_post)}
    result["to_ssh"] = ssh["answered"] - t_post if "answered" in ssh else None
    return result


class BareStock:
    """Allocate of the stock image done directly: an overlay on a copy of the image,
    the same config drive, the same domain XML, libvirt-python, the agent asked with
    libvirt_qemu."""

    def __init__(self, settings: Settings, found: dict, root: Path):
        self.settings, self.found, self.root = settings, found, root
        self.conn = None
        self.base = root / "images" / f"debian-{found['sha512'][:16]}.qcow2"

    def setup(self) -> None:
        self.conn = libvirt.open(self.settings.libvirt_uri)
        for path in (self.root, self.root / "images", self.root / "instances"):
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o755)
        if not self.base.exists():
            shutil.copyfile(self.found["dir"] / self.found["file"], self.base)
            self.base.chmod(0o644)

    def run(self, index: int, probe: Probe) -> dict:
        name = f"hfbench-{uuid.uuid4().hex[:8]}"
        address = BARE_ADDRESSES[index % len(BARE_ADDRESSES)]
        mac = "52:54:00:be:01:{:02x}".format(int(address.rsplit(".", 1)[1]))
        directory = self.root / "instances" / name
        disk, drive = directory / "disk.qcow2", directory / "config.iso"
        dom, marks = None, {}
        t0 = time.time()
        ssh = probe.watch(lambda: address, time.monotonic() + BOOT_TIMEOUT)
        try:
            directory.mkdir(mode=0o755)
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(self.base),
                            str(disk), str(FLAVOR["disk_gb"] * GIB)], check=True, capture_output=True)
            nic = {"mac": mac, "cidr": f"{address}/24", "gateway": self.settings.vm_gateway}
            config_drive.write(drive, nocloud_contents({"host_id": name, "hostname": name, "nics": [nic],
                                                        "ssh_keys": [probe.public_key]}))
            spec = DomainSpec(
                name=name, host_id=name, operation_id="bench", project="bench", stack=BENCH_STACK,
                vcpus=FLAVOR["vcpus"], ram_mb=FLAVOR["ram_mb"], virt_type=self.settings.virt_type,
                root_disk=str(disk), config_drive=str(drive), console_log=str(directory / "console.log"),
                nics=(Nic(mac, self.settings.vm_bridge),))
            dom = self.conn.defineXML(domain_xml.build(spec))
            dom.create()
            marks["to_running"] = time.time() - t0
            self._wait_agent(dom, name, f"{address}/24")
            marks["to_up"] = time.time() - t0
            ssh["thread"].join(timeout=BOOT_TIMEOUT)
            marks["to_ssh"] = ssh["answered"] - t0 if "answered" in ssh else None
        finally:
            ssh["stop"] = True
            if dom is not None:
                _destroy_undefine(dom)
            shutil.rmtree(directory, ignore_errors=True)
        return {"domain": name, **marks}

    @staticmethod
    def _wait_agent(dom, hostname: str, cidr: str) -> None:
        deadline = time.monotonic() + BOOT_TIMEOUT
        while time.monotonic() < deadline:
            try:
                name = _agent(dom, "guest-get-host-name")["host-name"]
                interfaces = _agent(dom, "guest-network-get-interfaces")
                if guest_agent.reports(name, interfaces, hostname, [cidr]):
                    return
            except libvirt.libvirtError:
                pass  # no agent yet
            time.sleep(POLL)
        raise BenchError(f"bare stock guest {hostname}: the agent did not report it up in {BOOT_TIMEOUT:.0f} s")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        shutil.rmtree(self.root, ignore_errors=True)


def _agent(dom, command: str):
    return json.loads(libvirt_qemu.qemuAgentCommand(dom, json.dumps({"execute": command}), 2, 0))["return"]


def measure(api: Api, settings: Settings, runs: int, warmup: int, root: Path) -> dict:
    """Interleaved hostflow and bare runs of the stock image (warm-ups not counted)."""
    found = manifest(settings)
    image = stock_image(api, found)
    data = {"image": image["id"], "hostflow": [], "bare": []}
    bare = BareStock(settings, found, root)
    with Probe(settings, found["properties"]["os_default_user"]) as probe:
        try:
            bare.setup()
            for index in range(warmup + runs):
                h = hostflow_run(api, settings, image, probe, index)
                b = bare.run(index, probe)
                if index >= warmup:
                    data["hostflow"].append(h)
                    data["bare"].append(b)
                print(f"  stock {'warm-up' if index < warmup else 'run'} {index}: hostflow {h['state']} "
                      f"running {fmt_s(h.get('to_running'), 6)} ready {fmt_s(h.get('to_up'), 6)} ssh "
                      f"{fmt_s(h.get('to_ssh'), 6)} | bare running {fmt_s(b.get('to_running'), 6)} ready "
                      f"{fmt_s(b.get('to_up'), 6)} ssh {fmt_s(b.get('to_ssh'), 6)}", flush=True)
        finally:
            bare.close()
    return data


def report(data: dict) -> None:
    hf = [r for r in data["hostflow"] if r["state"] == "succeeded"]
    bare = data["bare"]
    print(f"\n5. Stock Debian 12 image ({FLAVOR['vcpus']} vCPU / {FLAVOR['ram_mb']} MiB / {FLAVOR['disk_gb']} GiB), "
          f"medians over {len(hf)} hostflow and {len(bare)} bare runs")
    if len(hf) < len(data["hostflow"]):
        print(f"  WARNING: {len(data['hostflow']) - len(hf)} hostflow run(s) did not succeed")
    print(f"  {'':34}{'hostflow':>10}{'bare':>10}{'ratio':>9}")
    ratios = {}
    for label, key in (("POST/start -> domain running (s)", "to_running"),
                       ("POST/start -> guest ready (s)", "to_up"), ("POST/start -> SSH answering (s)", "to_ssh")):
        h, b = median(col(hf, key)), median(col(bare, key))
        ratios[key] = h / b if h and b else None
        ratio = f"{ratios[key]:8.2f}x" if ratios[key] else f"{'-':>9}"
        print(f"  {label:34}{fmt_s(h, 10)}{fmt_s(b, 10)}{ratio}")
    ready = ratios["to_up"]
    verdict = "MISSED" if ready is None or ready > TARGET_READY_RATIO else "met"
    print(f"  guest ready: target <= {TARGET_READY_RATIO}x bare: {verdict}")
