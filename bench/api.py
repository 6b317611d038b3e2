"""Benchmark: the HTTP API under an open-loop request rate, against /healthz in the same
process, and Slack acknowledgements while allocations run, against the same commands idle.

    source .hostflow/openrc
    PYTHONPATH=. .venv/bin/python -m bench.api [--quick] [--rates 50,100,200,300] [--seconds 5]

Needs the local stack up (scripts/stack.sh up) and the test image registered. Prints
figures, ratios and targets; a missed target prints MISSED but the exit status stays 0.
Exits non-zero only when it cannot run. See bench/README.md."""
from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import queue
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from redis import Redis
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.results import Result
from rq.serializers import JSONSerializer

from webhooks.chat import slack

IMAGE = "hostflow-test"
FLAVOR = {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}
OUT_OF_RANGE_FLAVOR = {"vcpus": 1, "ram_mb": 256, "disk_gb": 100000}  # refused (422) before any planning
SLACK_USER = "UE2EOPS"  # linked to an operator of project default by scripts/stack.sh's HOSTFLOW_CHAT_USERS
TERMINAL = {"succeeded", "failed", "rolled_back", "cancelled", "rejected"}
TARGET_RATE, TARGET_P99_MS = 200, 25.0
TARGET_ACK_P99_MS, SLACK_LIMIT_MS = 300.0, 3000.0
SEQUENTIAL = 30  # one-at-a-time requests per endpoint: the unloaded cost of one request
RETRIES = 60  # one a second: control calls (not measured ones) ride out an API restart
API_PID = Path(__file__).resolve().parents[1] / ".hostflow" / "run" / "api.pid"  # scripts/stack.sh's
ATTEMPTS = 3  # a round the shared API restarted in is run again, up to this many times in all
SATURATED = 0.9  # achieved below this share of the target rate ends an endpoint's ladder


class BenchError(Exception):
    pass


# ------------------------------------------------------------------ figures --
def percentile(values: list[float], q: float) -> float | None:
    """Nearest rank."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def fmt_ms(value: float | None, width: int = 8) -> str:
    return f"{value:{width}.1f}" if value is not None else f"{'-':>{width}}"


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


# ------------------------------------------------------------- the requests --
@dataclass
class Call:
    """One request shape: `make()` gives (method, path, body, headers) anew for each send;
    `ok(status, body)` says whether the answer is the one expected."""
    label: str
    make: object
    ok: object


@dataclass
class Round:
    label: str
    rate: float  # 0: one at a time
    latencies: list[float] = field(default_factory=list)  # seconds from the scheduled send to the body read
    service: list[float] = field(default_factory=list)  # seconds from the actual send to the body read
    errors: int = 0
    dropped: int = 0  # never sent: the round's time ran out while they waited for a free client
    first_error: str = ""
    elapsed: float = 0.0
    restarted: bool = False  # the API restarted (another session's doing) or refused connections meanwhile
    load: float = field(default_factory=lambda: os.getloadavg()[0])  # 1-min load average when the round began

    @property
    def achieved(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def ms(self, q: float, of: str = "latencies") -> float | None:
        value = percentile(getattr(self, of), q)
        return value * 1000 if value is not None else None

    @property
    def note(self) -> str:
        return "  (API restarted meanwhile: not valid)" if self.restarted else ""

    @property
    def saturated(self) -> bool:
        return bool(self.dropped or self.errors or (self.rate and self.achieved < SATURATED * self.rate))


class Client:
    """One keep-alive connection (gunicorn's sync workers close it after each answer;
    http.client then reopens it on the next request)."""

    def __init__(self, url: str, timeout: float):
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)

    def send(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, bytes]:
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
            return resp.status, resp.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise


def open_loop(url: str, call: Call, rate: float, count: int, grace: float, threads: int = 32,
              until=None) -> Round:
    """Sends `count` requests at `rate` per second on a fixed schedule, whatever the answers'
    pace (open loop): each latency runs from the request's scheduled send time, so a slow
    server shows in the figures instead of slowing the sender (no coordinated omission).
    Requests still waiting for a free client `grace` s after the last scheduled send are
    dropped and counted. `until()` returning True stops the schedule early."""
    result, pid = Round(call.label, rate), api_pid()
    work: queue.Queue = queue.Queue()
    lock = threading.Lock()
    start = time.perf_counter()
    give_up = start + count / rate + grace

    def worker() -> None:
        client = Client(url, timeout=grace + 5)
        while (item := work.get()) is not None:
            if time.perf_counter() > give_up:
                with lock:
                    result.dropped += 1
                continue
            sent = time.perf_counter()
            try:
                status, body = client.send(*call.make())
                good, detail = call.ok(status, body), f"{status} {body[:160]!r}"
            except (OSError, http.client.HTTPException) as exc:
                good, detail = False, repr(exc)
                result.restarted = True
            done = time.perf_counter()
            with lock:
                if good:
                    result.latencies.append(done - item)
                    result.service.append(done - sent)
                else:
                    result.errors += 1
                    result.first_error = result.first_error or detail

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    sent = 0
    for i in range(count):
        if until is not None and until():
            break
        scheduled = start + i / rate
        time.sleep(max(0.0, scheduled - time.perf_counter()))
        work.put(scheduled)
        sent += 1
    for _ in pool:
        work.put(None)
    for thread in pool:
        thread.join()
    # never shorter than the schedule itself: n sends at r/s span n/r seconds
    result.elapsed = max(time.perf_counter() - start, sent / rate) if sent else 0.0
    result.restarted = result.restarted or api_pid() != pid
    return result


def api_pid() -> str:
    try:
        return API_PID.read_text().strip()
    except OSError:
        return ""


def steady(url: str, measure) -> Round:
    """`measure()` again (after the API answers) while the shared API restarts under it."""
    for attempt in range(ATTEMPTS):
        result = measure()
        if not result.restarted or attempt == ATTEMPTS - 1:
            return result
        print(f"  {result.label} at {result.rate:.0f}/s: the API restarted meanwhile, again", flush=True)
        wait_healthy(url)
    return result


def wait_healthy(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if Client(url, timeout=3).send("GET", "/healthz", None, {})[0] == 200:
                time.sleep(2.0)  # both workers up, not just the first
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(1.0)
    raise BenchError(f"the API at {url} did not answer /healthz within {timeout:.0f} s")


def one_at_a_time(url: str, call: Call, count: int) -> Round:
    result, pid = Round(call.label, 0), api_pid()
    client = Client(url, timeout=30)
    start = time.perf_counter()
    for _ in range(count):
        sent = time.perf_counter()
        try:
            status, body = client.send(*call.make())
        except (OSError, http.client.HTTPException) as exc:
            status, body, result.restarted = 0, repr(exc).encode(), True
        if call.ok(status, body):
            result.latencies.append(time.perf_counter() - sent)
        else:
            result.errors += 1
            result.first_error = result.first_error or f"{status} {body[:160]!r}"
    result.service = list(result.latencies)
    result.elapsed = time.perf_counter() - start
    result.restarted = result.restarted or api_pid() != pid
    return result


def api_calls(token: str) -> list[Call]:
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def dry_run(flavor: dict):
        def make():
            body = {"name": f"bench-dry-{uuid.uuid4().hex[:8]}", "env": "test", "image": IMAGE, "flavor": flavor}
            return "POST", "/v1/hosts?dry_run=true", json.dumps(body).encode(), auth
        return make

    return [
        Call("GET /healthz (baseline)", lambda: ("GET", "/healthz", None, {}), lambda s, _b: s == 200),
        Call("POST /v1/hosts?dry_run (plan)", dry_run(FLAVOR),
             lambda s, b: s == 200 and json.loads(b).get("dry_run") is True),
        Call("POST /v1/hosts?dry_run, refused", dry_run(OUT_OF_RANGE_FLAVOR), lambda s, _b: s == 422),
    ]


def rate_ladder(url: str, calls: list[Call], rates: list[int], seconds: float, grace: float) -> list[Round]:
    """Per rate, each endpoint in turn; an endpoint that could not keep up leaves the ladder."""
    rounds, saturated = [], set()
    for call in calls:
        rounds.append(steady(url, lambda call=call: one_at_a_time(url, call, SEQUENTIAL)))
        print(f"  {call.label}: one at a time p50 {rounds[-1].ms(0.5):.1f} ms", flush=True)
    for rate in rates:
        for call in calls:
            if call.label in saturated:
                continue
            rounds.append(steady(url, lambda call=call, rate=rate: open_loop(url, call, rate, int(rate * seconds),
                                                                              grace)))
            r = rounds[-1]
            print(f"  {call.label} at {rate}/s: {r.achieved:.0f}/s, p99 {fmt_ms(r.ms(0.99), 0)} ms"
                  f"{', dropped ' + str(r.dropped) if r.dropped else ''}", flush=True)
            if r.saturated and not r.restarted:
                saturated.add(call.label)
    return rounds


def forget_plan_jobs(redis_url: str, since: datetime) -> int:
    """Each dry run leaves its plan jobs (one per node step) in Redis with the queue's
    7-day result TTL; the ones that ended between `since` and 30 s ago go (a dry run
    never reuses a plan job, so no caller can still want them)."""
    redis, cutoff, removed = Redis.from_url(redis_url), datetime.now(UTC) - timedelta(seconds=30), 0
    for key in redis.scan_iter("rq:job:*plan_*", count=1000):
        try:
            job = Job.fetch(key.decode().removeprefix("rq:job:"), connection=redis, serializer=JSONSerializer)
        except NoSuchJobError:
            continue
        enqueued, ended = job.enqueued_at, job.ended_at
        if enqueued and ended and since <= enqueued.replace(tzinfo=UTC) and ended.replace(tzinfo=UTC) < cutoff:
            Result.delete_all(job)
            job.delete()
            removed += 1
    return removed


# ------------------------------------------------------------------- Slack --
class Receiver:
    """A loopback `response_url`: records what hostflow posts there."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                received.append((self.path, self.rfile.read(int(self.headers.get("Content-Length") or 0))))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def slack_call(secret: str, response_url: str, texts: list[str]) -> Call:
    """Signed slash commands, cycling through `texts`; each signed at its own send time."""
    turn = iter(range(1 << 62))

    def make():
        text = texts[next(turn) % len(texts)]
        body = urlencode({"command": "/hostflow", "text": text, "user_id": SLACK_USER, "user_name": "bench",
                          "channel_id": "CBENCH", "response_url": f"{response_url}/response/bench"}).encode()
        stamp = str(int(time.time()))
        return "POST", "/v1/webhooks/slack", body, {
            "Content-Type": "application/x-www-form-urlencoded", slack.TIMESTAMP_HEADER: stamp,
            slack.SIGNATURE_HEADER: slack.signature(secret, stamp, body)}

    def ok(status: int, body: bytes) -> bool:
        if status != 200:
            return False
        answer = json.loads(body)
        text = answer.get("text", "")
        return answer.get("response_type") == "ephemeral" and (text.startswith("```") or "allocate_host `" in text
                                                                or text == "No hosts.")

    return Call("Slack slash command", make, ok)


class Api:
    def __init__(self, url: str, token: str):
        self.client = Client(url, timeout=60)
        self.auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None, expect: int = 200, key: str | None = None):
        headers = {**self.auth, **({"Idempotency-Key": key} if key else {})}
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(RETRIES + 1):  # the shared stack's API may be restarting
            try:
                status, raw = self.client.send(method, path, data, headers)
                break
            except (OSError, http.client.HTTPException):
                if attempt == RETRIES or (method != "GET" and not key):
                    raise
                time.sleep(1.0)
        if status != expect:
            raise BenchError(f"{method} {path}: {status} {raw[:300]!r}")
        return json.loads(raw)

    def room(self, count: int) -> int:
        """How many of the bench's flavor the enabled hypervisors can still take."""
        fits = 0
        for hv in self.call("GET", "/v1/hypervisors")["hypervisors"]:
            if not hv["enabled"]:
                continue
            cap, used, ratios = hv["capacity"], hv["claimed"], hv["capacity"]["ratios"]
            fits += max(0, min(int(cap["vcpus"] * ratios["cpu"] - used["vcpus"]) // FLAVOR["vcpus"],
                               int(cap["ram_mb"] * ratios["ram"] - used["ram_mb"]) // FLAVOR["ram_mb"],
                               int(cap["disk_gb"] * ratios["disk"] - used["disk_gb"]) // FLAVOR["disk_gb"]))
        return min(count, fits)

    def wait_all(self, op_ids: list[str], timeout: float) -> dict[str, dict]:
        """Polls each unfinished operation once a second until all have ended or time runs out."""
        ops, deadline = {}, time.monotonic() + timeout
        while time.monotonic() < deadline:
            for op_id in op_ids:
                if op_id not in ops or ops[op_id]["state"] not in TERMINAL:
                    ops[op_id] = self.call("GET", f"/v1/operations/{op_id}")["operation"]
            if all(op["state"] in TERMINAL for op in ops.values()):
                break
            time.sleep(1.0)
        return ops


@dataclass
class Allocations:
    hosts: list[str] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)
    states: dict = field(default_factory=dict)
    took: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)


def allocate(api: Api, count: int) -> Allocations:
    batch = Allocations()
    for i in range(count):
        body = {"name": f"bench-ack-{i}-{uuid.uuid4().hex[:6]}", "env": "test", "image": IMAGE, "flavor": FLAVOR}
        accepted = api.call("POST", "/v1/hosts", body, expect=202, key=str(uuid.uuid4()))
        batch.hosts.append(accepted["host"]["id"])
        batch.ops.append(accepted["operation"]["id"])
    return batch


def watch(url: str, token: str, batch: Allocations, timeout: float) -> None:
    """In its own thread (and connection): waits for the batch, then sets `done`."""
    started = time.monotonic()
    try:
        ops = Api(url, token).wait_all(batch.ops, timeout)
        batch.states = {op_id: f"{op['state']}/{(op.get('error') or {}).get('code')}" for op_id, op in ops.items()}
    finally:
        batch.took = time.monotonic() - started
        batch.done.set()


def reclaim(api: Api, host_ids: list[str], timeout: float = 600.0) -> list[str]:
    """DELETEs every host it can, waits for the reclaims, and returns what was not reclaimed
    (a host whose allocation is still running answers 409: it is named, not waited for)."""
    ops, refused = [], []
    for host_id in host_ids:
        try:
            ops.append(api.call("DELETE", f"/v1/hosts/{host_id}", expect=202, key=str(uuid.uuid4()))["operation"]["id"])
        except BenchError as exc:
            refused.append(f"{host_id} ({exc})")
    api.wait_all(ops, timeout)
    left = [h for h in host_ids if api.call("GET", f"/v1/hosts/{h}")["host"]["state"] != "deleted"]
    return [r for r in refused if r.split()[0] in left] + [h for h in left if not any(r.startswith(h) for r in refused)]


def under_allocations(url: str, token: str, secret: str, receiver: Receiver, count: int, rate: float, cap: int,
                      alloc_timeout: float) -> dict:
    """Starts `count` allocations, sends slash commands until they have all ended, reclaims them."""
    api, batch, out = Api(url, token), Allocations(), {}
    try:
        batch = allocate(api, count)
        out["texts"] = ["hosts"] + [f"status {op}" for op in batch.ops[:5]]
        watcher = threading.Thread(target=watch, args=(url, token, batch, alloc_timeout), daemon=True)
        watcher.start()
        out["loaded"] = open_loop(url, slack_call(secret, receiver.url, out["texts"]), rate, cap, grace=10,
                                  threads=8, until=batch.done.is_set)
        out["until_all_ended"] = batch.done.is_set()
        watcher.join()
        out["states"], out["alloc_seconds"] = batch.states, batch.took
    finally:
        out["left"] = reclaim(api, batch.hosts) if batch.hosts else []
    return out


def slack_acks(url: str, token: str, secret: str, allocations: int, rate: float, cap: int,
               alloc_timeout: float) -> dict:
    receiver = Receiver()
    try:
        fits = Api(url, token).room(allocations)
        for attempt in range(ATTEMPTS):
            out = under_allocations(url, token, secret, receiver, fits, rate, cap, alloc_timeout)
            if out["left"] or not out["loaded"].restarted or attempt == ATTEMPTS - 1:
                break
            print("  the API restarted while the allocations ran: again", flush=True)
            wait_healthy(url)
        sent = len(out["loaded"].latencies) + out["loaded"].errors + out["loaded"].dropped
        out["idle"] = steady(url, lambda: open_loop(url, slack_call(secret, receiver.url, out["texts"]), rate,
                                                    max(sent, 20), grace=10, threads=8))
        out.update(asked=allocations, fits=fits, posted=len(receiver.received))
        return out
    finally:
        receiver.stop()


# ------------------------------------------------------------------ report --
def report_rates(rounds: list[Round], rates: list[int]) -> None:
    print("\nAPI latency under an open-loop rate (ms from the scheduled send; 'one' = one at a time;"
          f" svc: from the actual send; load: 1-min load average, {os.cpu_count()} CPUs)")
    print(f"  {'endpoint':34s} {'rate':>5s} {'achieved':>9s} {'p50':>8s} {'p99':>8s} {'max':>8s}"
          f" {'svc p50':>8s} {'x base p50':>10s} {'errors':>6s} {'dropped':>7s} {'load':>5s}")
    base = {r.rate: r for r in rounds if r.label.startswith("GET /healthz")}
    for r in rounds:
        b = base.get(r.rate)
        ratio = f"{r.ms(0.5) / b.ms(0.5):9.1f}x" if b and b.latencies and r.latencies else f"{'-':>10s}"
        rate = f"{r.rate:5.0f}" if r.rate else "  one"
        print(f"  {r.label:34s} {rate} {r.achieved:8.0f}/s {fmt_ms(r.ms(0.5))} {fmt_ms(r.ms(0.99))}"
              f" {fmt_ms(r.ms(1.0))} {fmt_ms(r.ms(0.5, 'service'))} {ratio} {r.errors:6d} {r.dropped:7d}"
              f" {r.load:5.1f}{r.note}")
        if r.first_error:
            print(f"      first error: {r.first_error}")
    for label in dict.fromkeys(r.label for r in rounds if not r.label.startswith("GET /healthz")):
        at_target = [r for r in rounds if r.label == label and r.rate == TARGET_RATE]
        if not at_target:
            kept_up = [r.rate for r in rounds if r.label == label and r.rate and not r.saturated]
            if TARGET_RATE in rates:
                print(f"  {label}: target p99 <= {TARGET_P99_MS:.0f} ms at {TARGET_RATE}/s  MISSED (kept up with"
                      f" {max(kept_up) if kept_up else 'none of the rates'}{'/s' if kept_up else ''} at most)")
            else:
                print(f"  {label}: {TARGET_RATE}/s not in --rates, target not measured")
            continue
        r = at_target[0]
        ok = not r.saturated and r.ms(0.99) is not None and r.ms(0.99) <= TARGET_P99_MS
        print(f"  {label}: p99 {fmt_ms(r.ms(0.99), 0)} ms at {r.achieved:.0f}/s, target p99 <= "
              f"{TARGET_P99_MS:.0f} ms at {TARGET_RATE}/s  {verdict(ok)}{r.note}")


def report_slack(out: dict) -> None:
    print(f"\nSlack acknowledgement ({out['fits']} of {out['asked']} allocations fit the free capacity)")
    loaded, idle = out["loaded"], out["idle"]
    for label, r in (("while the allocations ran", loaded), ("no allocations (baseline)", idle)):
        print(f"  {label:28s} {len(r.latencies):4d} acks at {r.rate:.0f}/s: p50 {fmt_ms(r.ms(0.5), 0)} ms,"
              f" p99 {fmt_ms(r.ms(0.99), 0)} ms, max {fmt_ms(r.ms(1.0), 0)} ms (from the actual send: p99"
              f" {fmt_ms(r.ms(0.99, 'service'), 0)} ms), errors {r.errors}, dropped {r.dropped},"
              f" load {r.load:.1f}{r.note}")
        if r.first_error:
            print(f"      first error: {r.first_error}")
    if loaded.latencies and idle.latencies:
        print(f"  ratio loaded/baseline: p50 {loaded.ms(0.5) / idle.ms(0.5):.1f}x,"
              f" p99 {loaded.ms(0.99) / idle.ms(0.99):.1f}x")
    states: dict[str, int] = {}
    for state in out.get("states", {}).values():
        states[state] = states.get(state, 0) + 1
    print(f"  allocations: {states or 'none'} in {out.get('alloc_seconds', 0):.0f} s"
          f"{' (the commands ran until the last ended)' if out.get('until_all_ended') else ''}")
    print(f"  posts to response_url: {out['posted']} (read commands answer in the acknowledgement only)")
    print(f"  hosts reclaimed: {'all' if not out['left'] else 'NOT ' + ', '.join(out['left'])}")
    p99 = loaded.ms(0.99)
    ok = p99 is not None and p99 < TARGET_ACK_P99_MS and not loaded.errors and not loaded.dropped
    print(f"  target ack p99 < {TARGET_ACK_P99_MS:.0f} ms while {out['fits']} allocations run  {verdict(ok)}"
          f"; every ack < {SLACK_LIMIT_MS / 1000:.0f} s (Slack's limit): "
          f"{verdict(bool(loaded.latencies) and max(loaded.latencies) * 1000 < SLACK_LIMIT_MS)}"
          + loaded.note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s a rate, 3 allocations")
    parser.add_argument("--rates", default="50,100,200,300")
    parser.add_argument("--seconds", type=float, default=5.0, help="per rate and endpoint")
    parser.add_argument("--grace", type=float, default=10.0, help="s after a round's last send before dropping")
    parser.add_argument("--allocations", type=int, default=10)
    parser.add_argument("--slack-rate", type=float, default=4.0)
    parser.add_argument("--skip", choices=["rates", "slack"])
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.allocations = 2.0, 3
    url, token = os.environ.get("HOSTFLOW_API_URL"), os.environ.get("HOSTFLOW_TOKEN")
    secret = os.environ.get("HOSTFLOW_SLACK_SIGNING_SECRET")
    if not (url and token and secret):
        print("HOSTFLOW_API_URL, HOSTFLOW_TOKEN or HOSTFLOW_SLACK_SIGNING_SECRET unset: source .hostflow/openrc",
              file=sys.stderr)
        return 2
    rates = [int(r) for r in args.rates.split(",")]
    started = datetime.now(UTC)
    try:
        if args.skip != "rates":
            print(f"rates {rates}/s, {args.seconds:g} s each, against {url}", flush=True)
            report_rates(rate_ladder(url, api_calls(token), rates, args.seconds, args.grace), rates)
        if args.skip != "slack":
            print(f"\nSlack: {args.allocations} allocations, commands at {args.slack_rate:g}/s", flush=True)
            report_slack(slack_acks(url, token, secret, args.allocations, args.slack_rate,
                                    cap=int(args.slack_rate * 300), alloc_timeout=300))
    except (BenchError, OSError, http.client.HTTPException) as exc:
        print(f"cannot run: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.skip != "rates":
            redis_url = os.environ.get("HOSTFLOW_REDIS_URL", "redis://127.0.0.1:6390/0")
            print(f"\nplan jobs the dry runs left in Redis, removed: {forget_plan_jobs(redis_url, started)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
