"""Benchmark: allocating a host through hostflow, against a bare script doing the
same libvirt and qemu-img work directly.

    source .hostflow/openrc
    PYTHONPATH=. .venv/bin/python -m bench.allocate [--runs N] [--json out.json]

Needs the local stack up (scripts/stack.sh up) and the test image registered.
Prints figures, ratios and targets; a missed target prints MISSED but the exit
status stays 0 (a benchmark, not a test). Exits non-zero only when it cannot run.
See bench/README.md."""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import libvirt
import requests

from flows import allocate_host
from functions.cloud_init import contents as nocloud_contents
from infra import config_drive, console, domain_xml
from infra.domain_xml import DomainSpec, Nic
from infra.settings import Settings

IMAGE = "hostflow-test"
FLAVOR = {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}
NO_CAPACITY_FLAVOR = {"vcpus": 1, "ram_mb": 60000, "disk_gb": 1}  # fits no node: 202, then failed/no_capacity
BENCH_STACK = "hostflow-bench"
LIBVIRT_LOG_DIR = Path("/var/log/libvirt/qemu")
BARE_ADDRESSES = [f"10.213.0.{n}" for n in range(250, 255)]  # outside what the stack's IPAM hands out first
POLL = 0.02  # seconds between GETs of an operation (--poll)
GIB = 1 << 30
TERMINAL = {"succeeded", "failed", "rolled_back", "cancelled", "rejected"}
TARGET_POST_MS = 15.0
TARGET_OVERHEAD_S = 0.5
ALLOCATE_STEPS = [step.name for step in allocate_host.STEPS]  # every step allocate runs, in order
BARE_EQUIVALENT = {"ensure_image_cached": None, "ensure_root_disk": "qemu_img_create",
                   "ensure_config_drive": "config_drive", "ensure_domain_defined": "define",
                   "ensure_running": "start", "wait_guest_up": "wait_console"}

libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


class BenchError(Exception):
    pass


# ------------------------------------------------------------------ figures --
def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: list[float]) -> float | None:
    """Nearest-rank 90th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def epoch(stamp: str | None) -> float | None:
    """The API's ISO timestamps are UTC; SQLite hands them back without a suffix."""
    if not stamp:
        return None
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def fmt_s(value: float | None, width: int = 8) -> str:
    return f"{value:{width}.3f}" if value is not None else f"{'-':>{width}}"


def fmt_ms(value: float | None) -> str:
    return f"{value:7.1f} ms" if value is not None else "      - ms"


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


# ---------------------------------------------------------------------- API --
class Api:
    def __init__(self, url: str, token: str):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: dict | None = None, key: str | None = None):
        """(response, seconds from send to the whole body read); a POST or DELETE carries `key`,
        else a new Idempotency-Key (the API refuses a change without one)."""
        headers = {"Idempotency-Key": key or str(uuid.uuid4())} if key or method in ("POST", "DELETE") else {}
        start = time.perf_counter()
        resp = self.session.request(method, self.url + path, json=body, headers=headers, timeout=60)
        return resp, time.perf_counter() - start

    def wait(self, op_id: str, timeout: float = 300.0, get_times: list | None = None,
             poll: float | None = None) -> dict:
        """Polls the operation every `poll` (default POLL) seconds until it ends; records each
        GET's latency."""
        deadline = time.monotonic() + timeout
        while True:
            resp, took = self.call("GET", f"/v1/operations/{op_id}")
            if resp.status_code != 200:
                raise BenchError(f"GET operation {op_id}: {resp.status_code} {resp.text[:200]}")
            if get_times is not None:
                get_times.append(took)
            op = resp.json()["operation"]
            if op["state"] in TERMINAL:
                return op
            if time.monotonic() > deadline:
                raise BenchError(f"operation {op_id} still {op['state']} after {timeout:.0f} s")
            time.sleep(poll or POLL)

    def reclaim(self, host_id: str) -> dict:
        """DELETE the host and wait; returns the reclaim operation (with client-side seconds)."""
        t0 = time.time()
        resp, _ = self.call("DELETE", f"/v1/hosts/{host_id}")
        if resp.status_code != 202:
            raise BenchError(f"DELETE host {host_id}: {resp.status_code} {resp.text[:200]}")
        op = self.wait(resp.json()["operation"]["id"])
        op["_bench_seconds"] = (epoch(op["finished"]) or time.time()) - t0
        return op


def api_latency(api: Api, count: int) -> dict:
    """POSTs that are accepted (202) but whose flow ends at once in no_capacity: no
    guest is made. Each operation is waited for before the next POST, so the figure
    is the API's own time, not the API competing with the flow runner."""
    posts, gets, codes, hosts = [], [], {}, []
    try:
        for _ in range(count):
            body = {"name": f"bench-api-{uuid.uuid4().hex[:8]}", "env": "bench", "image": IMAGE,
                    "flavor": NO_CAPACITY_FLAVOR}
            resp, took = api.call("POST", "/v1/hosts", body, key=str(uuid.uuid4()))
            if resp.status_code != 202:
                raise BenchError(f"POST /v1/hosts (no-capacity flavor): {resp.status_code} {resp.text[:200]}")
            posts.append(took)
            hosts.append(resp.json()["host"]["id"])
            op = api.wait(resp.json()["operation"]["id"], get_times=gets)
            code = f"{op['state']}/{(op.get('error') or {}).get('code')}"
            codes[code] = codes.get(code, 0) + 1
    finally:
        for host_id in hosts:
            try:
                api.reclaim(host_id)
            except (BenchError, requests.RequestException) as exc:
                print(f"  warning: reclaim of no-capacity host {host_id}: {exc}", file=sys.stderr)
    return {"post_s": posts, "get_s": gets, "outcomes": codes}


# ------------------------------------------------------------ hostflow runs --
def analyse(op: dict, t_post: float) -> dict:
    """Figures of one allocate operation from its journal, relative to the POST."""
    steps = {s["name"]: s for s in op["steps"] if s["direction"] == "do"}
    out = {"state": op["state"], "error": op.get("error"), "durations": {}, "gaps": {}}
    started, finished = epoch(op["started"]), epoch(op["finished"])
    out["to_op_started"] = started - t_post if started else None
    previous_end = started
    for name in ALLOCATE_STEPS:
        step = steps.get(name)
        if not step or not step["finished"]:
            break
        s, f = epoch(step["started"]), epoch(step["finished"])
        out["durations"][name] = f - s
        out["gaps"][name] = s - previous_end if previous_end else None
        previous_end = f
    out["after_last_step"] = finished - previous_end if finished and previous_end else None
    run_step, up_step = steps.get("ensure_running"), steps.get("wait_guest_up")
    out["to_running"] = epoch(run_step["finished"]) - t_post if run_step and run_step["finished"] else None
    out["to_up"] = epoch(up_step["finished"]) - t_post if up_step and up_step["finished"] else None
    out["to_succeeded"] = finished - t_post if finished and op["state"] == "succeeded" else None
    out["changed"] = {n: steps[n]["changed"] for n in steps}
    out["hypervisor"] = (op.get("result") or {}).get("hypervisor")
    return out


def hostflow_run(api: Api, index: int, get_times: list) -> dict:
    body = {"name": f"bench-{index}-{uuid.uuid4().hex[:6]}", "env": "test", "image": IMAGE, "flavor": FLAVOR}
    t_post = time.time()
    resp, post_s = api.call("POST", "/v1/hosts", body, key=str(uuid.uuid4()))
    if resp.status_code != 202:
        raise BenchError(f"POST /v1/hosts: {resp.status_code} {resp.text[:300]}")
    host_id, op_id = resp.json()["host"]["id"], resp.json()["operation"]["id"]
    try:
        op = api.wait(op_id, get_times=get_times)
        seen = time.time() - t_post
    finally:
        reclaim = api.reclaim(host_id)
        # reclaim leaves libvirt's per-domain log behind (reported); the bench removes it
        leaked_log = LIBVIRT_LOG_DIR / f"{domain_xml.domain_name(host_id)}.log"
        leaked = leaked_log.exists()
        leaked_log.unlink(missing_ok=True)
    result = {"operation": op_id, "host": host_id, "post_s": post_s, "seen_succeeded": seen, **analyse(op, t_post),
              "reclaim_s": reclaim["_bench_seconds"], "reclaim_state": reclaim["state"], "libvirt_log_left": leaked}
    if op["state"] != "succeeded":
        result["journal"] = op["steps"]
    return result


# ---------------------------------------------------------------- bare runs --
def sha512_of(path: Path) -> str:
    digest = hashlib.sha512()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def registered_images(api: Api) -> dict:
    """The hostflow-test AMI and its AKI/ARI as the API's registry has them."""
    resp, _ = api.call("GET", "/v1/images")
    images = resp.json()["images"]
    by_id = {i["id"]: i for i in images}
    roots = [i for i in images if i["name"] == IMAGE and i["status"] == "active"]
    if len(roots) != 1:
        raise BenchError(f"{len(roots)} active images named {IMAGE} in the registry (need exactly one)")
    root = roots[0]
    return {"ami": root, "aki": by_id[root["kernel_id"]], "ari": by_id[root["ramdisk_id"]],
            "cmdline": root["properties"].get("os_command_line", "console=ttyS0")}


def image_sources(settings: Settings, kind: str, image: dict) -> list[Path]:
    """Where the bytes hostflow boots may be: its nodes' caches, then the test image dir."""
    cached = sorted((settings.state_dir / "nodes").glob(
        f"*/images/{image['id']}-{image['os_hash_value'][:16]}.{image['disk_format']}"))
    manifest_dir = settings.state_dir / "images" / "test"
    try:
        manifest = json.loads((manifest_dir / "manifest.json").read_text())
        cached.append(manifest_dir / manifest["files"][kind]["file"])
    except (OSError, KeyError, ValueError):
        pass
    return cached


class Bare:
    """The same node work as hostflow's allocate, done directly: qemu-img, pycdlib,
    ElementTree XML, libvirt-python, the console log. No flow, queue or database."""

    def __init__(self, settings: Settings, images: dict, root: Path):
        self.settings, self.images, self.root = settings, images, root
        self.conn = None
        self.files: dict[str, Path] = {}
        self.notes: list[str] = []

    def setup(self) -> None:
        self.conn = libvirt.open(self.settings.libvirt_uri)
        self.remove_leftovers()
        for path in (self.root, self.root / "images", self.root / "instances"):
            path.mkdir(parents=True, exist_ok=True)
            os.chmod(path, 0o755)
        if not Path(f"/sys/class/net/{self.settings.vm_bridge}/bridge").exists():
            raise BenchError(f"bridge {self.settings.vm_bridge} is missing: is the stack up?")
        for kind in ("ami", "aki", "ari"):
            self.files[kind] = self._cache(kind, self.images[kind])

    def _cache(self, kind: str, image: dict) -> Path:
        """Copies the image once, as hostflow's cache does (not timed)."""
        wanted = image["os_hash_value"]
        sources = image_sources(self.settings, kind, image)
        chosen = next((p for p in sources if p.exists() and sha512_of(p) == wanted), None)
        if chosen is None:
            chosen = next((p for p in reversed(sources) if p.exists()), None)
            if chosen is None:
                raise BenchError(f"no file for image {image['name']} ({kind})")
            self.notes.append(f"{kind}: no file with the registered SHA-512 {wanted[:16]}; bare runs boot "
                              f"{chosen} (sha512 {sha512_of(chosen)[:16]}), not the bytes hostflow boots")
        dest = self.root / "images" / f"{kind}-{image['os_hash_value'][:16]}.{image['disk_format']}"
        shutil.copyfile(chosen, dest)
        os.chmod(dest, 0o644)
        return dest

    def remove_leftovers(self) -> list[str]:
        """Domains marked with the bench stack (this run's or an earlier one's), and the bench files."""
        removed = []
        for dom in self.conn.listAllDomains():
            try:
                marks = domain_xml.read_metadata(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
            except libvirt.libvirtError:
                continue
            if marks.get("stack") == BENCH_STACK:
                _destroy_undefine(dom)
                removed.append(dom.name())
        shutil.rmtree(self.root / "instances", ignore_errors=True)
        for log in LIBVIRT_LOG_DIR.glob("hfbench-*.log"):  # libvirt keeps a log per domain name
            log.unlink(missing_ok=True)
        return removed

    def run(self, index: int) -> dict:
        name = f"hfbench-{uuid.uuid4().hex[:8]}"
        address = BARE_ADDRESSES[index % len(BARE_ADDRESSES)]
        mac = "52:54:00:be:00:{:02x}".format(int(address.rsplit(".", 1)[1]))
        directory = self.root / "instances" / name
        disk, drive, log = directory / "disk.qcow2", directory / "config.iso", directory / "console.log"
        marks: dict[str, float] = {}
        dom = None
        t0 = time.time()
        try:
            directory.mkdir(mode=0o755)
            os.chmod(directory, 0o755)
            # the overlay, created at the flavor's size (the resize), as hostflow does
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                            str(self.files["ami"].resolve()), str(disk), str(FLAVOR["disk_gb"] * GIB)],
                           check=True, capture_output=True)
            marks["qemu_img_create"] = time.time()
            nic = {"mac": mac, "cidr": f"{address}/24", "gateway": self.settings.vm_gateway}
            config_drive.write(drive, nocloud_contents({"host_id": name, "hostname": name, "nics": [nic]}))
            marks["config_drive"] = time.time()
            spec = DomainSpec(
                name=name, host_id=name, operation_id="bench", project="bench", stack=BENCH_STACK,
                vcpus=FLAVOR["vcpus"], ram_mb=FLAVOR["ram_mb"], virt_type=self.settings.virt_type,
                root_disk=str(disk), config_drive=str(drive), console_log=str(log),
                nics=(Nic(mac, self.settings.vm_bridge),), kernel=str(self.files["aki"]),
                ramdisk=str(self.files["ari"]), cmdline=self.images["cmdline"])
            dom = self.conn.defineXML(domain_xml.build(spec))
            marks["define"] = time.time()
            dom.create()
            if dom.state()[0] != libvirt.VIR_DOMAIN_RUNNING:
                raise BenchError(f"{name} is not running after create")
            marks["start"] = time.time()
            deadline = time.monotonic() + self.settings.guest_boot_timeout
            while not _reports(console.latest(log), name, f"{address}/24"):
                if time.monotonic() > deadline:
                    raise BenchError(f"bare guest {name} did not report up; console: {console.tail(log, 5)!r}")
                time.sleep(POLL)
            marks["wait_console"] = time.time()
        finally:
            c0 = time.time()
            if dom is not None:
                _destroy_undefine(dom)
            shutil.rmtree(directory, ignore_errors=True)
            cleanup = time.time() - c0
        phases, previous = {}, t0
        for phase, at in marks.items():
            phases[phase] = at - previous
            previous = at
        return {"domain": name, "address": address, "to_running": marks["start"] - t0,
                "to_up": marks["wait_console"] - t0, "phases": phases, "cleanup_s": cleanup}

    def close(self) -> None:
        if self.conn is not None:
            self.remove_leftovers()
            self.conn.close()
        shutil.rmtree(self.root, ignore_errors=True)


def machine_notes() -> list[str]:
    """Conditions of this machine that change the figures a lot."""
    notes = []
    kvm = Path("/dev/kvm")
    if kvm.exists():
        st = kvm.stat()
        qemu_gid = _gid("kvm")
        if not (st.st_mode & 0o006 == 0o006 or (qemu_gid == st.st_gid and st.st_mode & 0o060 == 0o060)):
            notes.append(f"/dev/kvm is mode {st.st_mode & 0o777:o} gid {st.st_gid}: libvirt-qemu cannot use it, so "
                         "libvirtd finds its QEMU capabilities stale and re-probes QEMU on every call (seconds per "
                         "define/start, for hostflow and bare alike); scripts/stack.sh up sets root:kvm 0660")
    return notes


def _gid(group: str) -> int | None:
    import grp

    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        return None


def _reports(state: dict | None, hostname: str, cidr: str) -> bool:
    return bool(state) and state.get("hostname") == hostname and \
        cidr in {a.get("cidr") for a in state.get("addresses", [])}


def _destroy_undefine(dom) -> None:
    try:
        dom.destroy()
    except libvirt.libvirtError:
        pass  # not running
    try:
        dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
    except libvirt.libvirtError:
        dom.undefine()


# ------------------------------------------------------------------- report --
def col(runs: list[dict], key: str) -> list[float]:
    return [r[key] for r in runs if r.get(key) is not None]


def report(data: dict) -> None:
    api_data, hf_all, bare = data["api"], data["hostflow"], data["bare"]
    hf = [r for r in hf_all if r["state"] == "succeeded"]
    print(f"hostflow allocate benchmark, {data['when']}: {data['runs']} runs each, interleaved "
          f"hostflow/bare (+{data['warmup']} warm-up each, not counted); {os.cpu_count()} CPUs, "
          f"virt_type={data['virt_type']}, operation polled every {data['poll_s'] * 1000:.0f} ms")
    for note in data["notes"]:
        print(f"  note: {note}")

    print(f"\n1. API latency ({len(api_data['post_s'])} requests, client side, loopback)")
    post_med = median(api_data["post_s"])
    post_ms = post_med * 1000 if post_med is not None else None
    print(f"  POST /v1/hosts            median {fmt_ms(post_ms)}  p90 {fmt_ms((p90(api_data['post_s']) or 0) * 1000)}"
          f"   target <= {TARGET_POST_MS:.0f} ms median: {verdict(post_ms is not None and post_ms <= TARGET_POST_MS)}")
    print(f"    (flavor {NO_CAPACITY_FLAVOR['vcpus']} vCPU / {NO_CAPACITY_FLAVOR['ram_mb']} MiB / "
          f"{NO_CAPACITY_FLAVOR['disk_gb']} GiB, which no node can hold: answered 202, the flow then ended "
          f"{api_data['outcomes']} without creating a guest; each waited for before the next POST)")
    gets = api_data["get_s"]
    print(f"  GET /v1/operations/{{id}}  median {fmt_ms((median(gets) or 0) * 1000)}  p90 "
          f"{fmt_ms((p90(gets) or 0) * 1000)}   ({len(gets)} polls of those operations)")
    gets = data["allocate_get_s"]
    print(f"  GET /v1/operations/{{id}}  median {fmt_ms((median(gets) or 0) * 1000)}  p90 "
          f"{fmt_ms((p90(gets) or 0) * 1000)}   ({len(gets)} polls of the {len(ALLOCATE_STEPS)}-step allocates)")
    print(f"  POST /v1/hosts (allocate) median {fmt_ms((median(col(hf_all, 'post_s')) or 0) * 1000)}")

    print(f"\n2./3. Allocate, medians over {len(hf)} hostflow runs (through the API) and {len(bare)} bare runs")
    if len(hf) < len(hf_all):
        print(f"  WARNING: {len(hf_all) - len(hf)} hostflow run(s) did not succeed: "
              f"{[(r['state'], r['error']) for r in hf_all if r['state'] != 'succeeded']}")
    print(f"  {'':34}{'hostflow':>10}{'bare':>10}{'ratio':>9}")
    for label, key in (("POST/start -> domain running (s)", "to_running"), ("POST/start -> guest up (s)", "to_up")):
        h, b = median(col(hf, key)), median(col(bare, key))
        ratio = f"{h / b:8.2f}x" if h and b else f"{'-':>9}"
        print(f"  {label:34}{fmt_s(h, 10)}{fmt_s(b, 10)}{ratio}")
    h, b = median(col(hf, "to_succeeded")), median(col(bare, "to_up"))
    ratio = f"{h / b:8.2f}x" if h and b else f"{'-':>9}"
    print(f"  {'POST -> operation succeeded (s)':34}{fmt_s(h, 10)}{fmt_s(b, 10)}{ratio}  (bare: guest up)")
    print(f"  {'POST -> client saw succeeded (s)':34}{fmt_s(median(col(hf, 'seen_succeeded')), 10)}")
    h, b = median(col(hf, "to_running")), median(col(bare, "to_running"))
    if h is not None and b is not None:
        overhead = h - b
        print(f"  hostflow overhead to domain running: {overhead:.3f} s   target <= {TARGET_OVERHEAD_S} s: "
              f"{verdict(overhead <= TARGET_OVERHEAD_S)}")
    h, b = median(col(hf, "to_up")), median(col(bare, "to_up"))
    if h is not None and b is not None:
        print(f"  hostflow overhead to guest up:       {h - b:.3f} s")
    left = sum(1 for r in hf_all if r.get("libvirt_log_left"))
    if left:
        print(f"  note: {left} of {len(hf_all)} reclaims left libvirt's {LIBVIRT_LOG_DIR}/hf-<host>.log behind "
              "(removed by the bench)")
    print(f"  reclaim (DELETE -> operation succeeded, not counted above): median "
          f"{fmt_s(median(col(hf_all, 'reclaim_s')), 5)} s; bare destroy+undefine+rm median "
          f"{fmt_s(median(col(bare, 'cleanup_s')), 5)} s")

    print("\n4. Per step, median seconds (hostflow: journal started..finished; gap = time before the step "
          "not inside any step)")
    print(f"  {'step':26}{'hostflow':>10}{'gap before':>12}   {'bare equivalent':18}{'bare':>8}")
    print(f"  {'POST -> operation started':26}{fmt_s(median(col(hf, 'to_op_started')), 10)}{'':12}   "
          f"{'(none)':18}")
    for name in ALLOCATE_STEPS:
        dur = median([r["durations"][name] for r in hf if name in r["durations"]])
        gap = median([r["gaps"][name] for r in hf if r["gaps"].get(name) is not None])
        phase = BARE_EQUIVALENT.get(name)
        bare_value = median([r["phases"][phase] for r in bare]) if phase else None
        print(f"  {name:26}{fmt_s(dur, 10)}{fmt_s(gap, 12)}   {phase or '(none)':18}{fmt_s(bare_value, 8)}")
    print(f"  {'after last step -> op end':26}{fmt_s(median(col(hf, 'after_last_step')), 10)}")
    print("  (gap before claim_capacity = operation started -> first step started: the flow run's start)")
    for label, upto, total_key in (("domain running", "ensure_running", "to_running"),
                                   ("guest up", "wait_guest_up", "to_up")):
        names = ALLOCATE_STEPS[:ALLOCATE_STEPS.index(upto) + 1]
        full = [r for r in hf if all(n in r["durations"] for n in names) and r.get(total_key) is not None]
        in_steps = [sum(r["durations"][n] for n in names) for r in full]
        gaps = [r[total_key] - s for r, s in zip(full, in_steps, strict=True)]
        print(f"  to {label}: in steps {fmt_s(median(in_steps), 6).strip()} s, flow overhead outside steps "
              f"(POST..first step + gaps) {fmt_s(median(gaps), 6).strip()} s")

    print("\n  runs (s):        " + "  ".join(f"{'#' + str(i):>13}" for i in range(len(hf_all))))
    print("  hostflow run/up: " + "  ".join(f"{fmt_s(r.get('to_running'), 6)}/{fmt_s(r.get('to_up'), 6)}"
                                           for r in hf_all))
    print("  bare     run/up: " + "  ".join(f"{fmt_s(r['to_running'], 6)}/{fmt_s(r['to_up'], 6)}" for r in bare))
    print("  hostflow node:   " + "  ".join(f"{str(r.get('hypervisor')):>13}" for r in hf_all))


# --------------------------------------------------------------------- main --
def main(argv: list[str] | None = None) -> int:
    global POLL
    parser = argparse.ArgumentParser(prog="python -m bench.allocate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="allocate runs of each kind (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted runs of each kind first (default 1)")
    parser.add_argument("--api-requests", type=int, default=30, help="POSTs timed for API latency (default 30)")
    parser.add_argument("--json", type=Path, help="write every figure and raw sample here")
    parser.add_argument("--poll", type=float, default=POLL, help="seconds between operation GETs (default 0.02)")
    parser.add_argument("--stock-runs", type=int, default=2,
                        help="stock Debian image runs of each kind, after the test image (default 2; 0: none)")
    args = parser.parse_args(argv)
    POLL = args.poll
    url, token = os.environ.get("HOSTFLOW_API_URL"), os.environ.get("HOSTFLOW_TOKEN")
    if not (url and token):
        print("HOSTFLOW_API_URL/HOSTFLOW_TOKEN unset: source .hostflow/openrc first", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    api = Api(url, token)
    data = {"when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"), "runs": args.runs,
            "warmup": args.warmup, "poll_s": args.poll, "virt_type": settings.virt_type, "notes": machine_notes(),
            "hostflow": [], "bare": [], "warmup_runs": {"hostflow": [], "bare": []}, "allocate_get_s": []}
    bare = Bare(settings, registered_images(api), settings.state_dir / "bench")
    try:
        bare.setup()
        data["notes"] += bare.notes
        data["api"] = api_latency(api, args.api_requests)
        for index in range(args.warmup + args.runs):
            warm = index < args.warmup
            gets = [] if warm else data["allocate_get_s"]
            h = hostflow_run(api, index, gets)
            b = bare.run(index)
            (data["warmup_runs"]["hostflow"] if warm else data["hostflow"]).append(h)
            (data["warmup_runs"]["bare"] if warm else data["bare"]).append(b)
            print(f"  {'warm-up' if warm else 'run'} {index}: hostflow {h['state']} running "
                  f"{fmt_s(h.get('to_running'), 6)} up {fmt_s(h.get('to_up'), 6)} on {h.get('hypervisor')} | "
                  f"bare running {fmt_s(b['to_running'], 6)} up {fmt_s(b['to_up'], 6)}", file=sys.stderr)
    except BenchError as exc:
        print(f"bench: cannot continue: {exc}", file=sys.stderr)
        return 1
    finally:
        bare.close()
    if args.stock_runs:
        from bench import stock_guest  # it builds on this module

        try:
            data["stock"] = stock_guest.measure(api, settings, args.stock_runs, args.warmup,
                                                settings.state_dir / "bench-stock")
        except BenchError as exc:
            print(f"bench: stock image: cannot continue: {exc}", file=sys.stderr)
            return 1
    report(data)
    if data.get("stock"):
        stock_guest.report(data["stock"])
    if args.json:
        args.json.write_text(json.dumps(data, indent=2, default=str))
        print(f"\nraw figures: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
