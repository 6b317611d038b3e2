"""Benchmark: a power cycle through hostflow against bare libvirt on the same guest, and
how soon a domain destroyed behind hostflow's back shows `shutoff` in the API.

    source .hostflow/openrc
    PYTHONPATH=. .venv/bin/python -m bench.power [--runs 5] [--json out.json]

Needs the local stack up (scripts/stack.sh up) with the test image registered. One test
guest is allocated for the whole run and reclaimed at the end; the hostflow and bare
cycles alternate on it. Prints figures, ratios and targets; a missed target prints
MISSED and the exit status stays 0. See bench/README.md."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid

import libvirt

from bench.allocate import FLAVOR, IMAGE, Api, BenchError, epoch, fmt_s, median, verdict
from infra import console
from infra.settings import Settings

TARGET_RATIO = 1.2
TARGET_DESTROY_S = 2.0
POLL = 0.02

libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


def _ok(api: Api, method: str, path: str, body: dict | None = None) -> dict:
    resp, _ = api.call(method, path, body)
    if resp.status_code != 202:
        raise BenchError(f"{method} {path}: {resp.status_code} {resp.text[:200]}")
    op = api.wait(resp.json()["operation"]["id"], poll=POLL)
    if op["state"] != "succeeded":
        raise BenchError(f"{op['kind']} ended {op['state']}: {op['error']}")
    return op


def hostflow_cycle(api: Api, host: dict) -> dict:
    """stop, then start until the guest is up: POST stop -> the start operation finished."""
    began = time.time()
    stop = _ok(api, "POST", f"/v1/hosts/{host['id']}/actions", {"action": "stop"})
    start = _ok(api, "POST", f"/v1/hosts/{host['id']}/actions", {"action": "start"})
    return {"stopped": epoch(stop["finished"]) - began, "ready": epoch(start["finished"]) - began}


def _wait(check, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise BenchError("the guest did not get there in time")
        time.sleep(POLL)


def bare_cycle(dom, log, host: dict) -> dict:
    """What `virsh shutdown` then `virsh start` do, and the same readiness: the console's
    state line naming the host."""
    began = time.time()
    dom.shutdown()
    _wait(lambda: dom.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF)
    stopped = time.time() - began
    dom.create()
    _wait(lambda: (console.latest(log) or {}).get("hostname") == host["name"])
    return {"stopped": stopped, "ready": time.time() - began}


def destroy_seen(api: Api, dom, host: dict) -> dict:
    """Seconds from `virsh destroy` to libvirt's own shutoff (destroy returns once QEMU has
    gone), and to the API's power_state shutoff."""
    began = time.monotonic()
    dom.destroy()
    libvirt_s = time.monotonic() - began
    _wait(lambda: api.call("GET", f"/v1/hosts/{host['id']}")[0].json()["host"]["power_state"] == "shutoff", 30)
    return {"libvirt": libvirt_s, "api": time.monotonic() - began}


def measure(api: Api, settings: Settings, runs: int) -> dict:
    resp, _ = api.call("POST", "/v1/hosts", {"name": f"bench-power-{uuid.uuid4().hex[:6]}", "env": "test",
                                             "image": IMAGE, "flavor": FLAVOR})
    if resp.status_code != 202:
        raise BenchError(f"allocate: {resp.status_code} {resp.text[:200]}")
    host_id = resp.json()["host"]["id"]
    try:
        if api.wait(resp.json()["operation"]["id"])["state"] != "succeeded":
            raise BenchError("the bench guest did not allocate")
        host = api.call("GET", f"/v1/hosts/{host_id}")[0].json()["host"]
        log = settings.state_dir / "nodes" / host["hypervisor"] / "instances" / host_id / "console.log"
        conn = libvirt.open(settings.libvirt_uri)
        dom = conn.lookupByName(f"hf-{host_id}")
        data = {"hostflow": [], "bare": [], "destroy": []}
        for _ in range(runs):
            data["hostflow"].append(hostflow_cycle(api, host))
            data["bare"].append(bare_cycle(dom, log, host))
            _wait(lambda: api.call("GET", f"/v1/hosts/{host_id}")[0].json()["host"]["power_state"] == "running")
            data["destroy"].append(destroy_seen(api, dom, host))
            _ok(api, "POST", f"/v1/hosts/{host_id}/actions", {"action": "start"})
        conn.close()
        return data
    finally:
        api.reclaim(host_id)


def report(data: dict) -> None:
    hf = median([r["ready"] for r in data["hostflow"]])
    bare = median([r["ready"] for r in data["bare"]])
    print(f"stop -> start -> ready   hostflow {fmt_s(hf)} s   bare {fmt_s(bare)} s   "
          f"ratio {hf / bare:.2f}x (target <= {TARGET_RATIO}x) {verdict(hf / bare <= TARGET_RATIO)}")
    print(f"  of which stopped       hostflow {fmt_s(median([r['stopped'] for r in data['hostflow']]))} s   "
          f"bare {fmt_s(median([r['stopped'] for r in data['bare']]))} s")
    seen = median([r["api"] for r in data["destroy"]])
    gone = median([r["libvirt"] for r in data["destroy"]])
    after = median([r["api"] - r["libvirt"] for r in data["destroy"]])
    print(f"virsh destroy -> power_state shutoff in the API: median {seen:.2f} s (target <= {TARGET_DESTROY_S} s) "
          f"{verdict(seen <= TARGET_DESTROY_S)}")
    print(f"  of which destroy itself (until libvirt says shutoff) {gone:.2f} s; after it {after:.2f} s")
    print(f"runs: {len(data['hostflow'])}, alternating hostflow and bare on one test guest")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    url, token = os.environ.get("HOSTFLOW_API_URL"), os.environ.get("HOSTFLOW_TOKEN")
    if not (url and token):
        print("source .hostflow/openrc first", file=sys.stderr)
        return 2
    try:
        data = measure(Api(url, token), Settings.from_env(), args.runs)
    except BenchError as exc:
        print(f"cannot run: {exc}", file=sys.stderr)
        return 1
    report(data)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(data, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
