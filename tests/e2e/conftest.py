"""End-to-end: through the running stack's API (scripts/stack.sh up; openrc sourced)."""
import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from infra.libvirt_compute import LibvirtCompute
from infra.settings import Settings

REPO = Path(__file__).resolve().parents[2]
PROBE_NS = os.environ.get("HOSTFLOW_GATEWAY_NS", "hf-gw")
ENDED = ("succeeded", "failed", "rolled_back", "cancelled", "rejected")


class Api:
    def __init__(self, url: str, token: str):
        self.url, self.session = url.rstrip("/"), requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def post(self, path, body=None, key=None, **kw):
        """With `key` as its Idempotency-Key, else a new one (a call that starts an operation needs one)."""
        headers = {"Idempotency-Key": key or str(uuid.uuid4()), **kw.pop("headers", {})}
        return self.session.post(self.url + path, json=body, headers=headers, timeout=30, **kw)

    def get(self, path, **kw):
        return self.session.get(self.url + path, timeout=30, **kw)

    def delete(self, path, key=None, **kw):
        """As post: with `key`, else a new Idempotency-Key."""
        headers = {"Idempotency-Key": key or str(uuid.uuid4()), **kw.pop("headers", {})}
        return self.session.delete(self.url + path, headers=headers, timeout=30, **kw)

    def wait(self, op_id: str, states=ENDED, timeout=180, until=None) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            op = self.get(f"/v1/operations/{op_id}").json()["operation"]
            if op["state"] in states or (until and until(op)):
                return op
            time.sleep(0.2)
        raise AssertionError(f"operation {op_id} still {op['state']} after {timeout}s: {op['steps']}")

    def allocate(self, name: str, key: str | None = None, **over) -> dict:
        body = {"name": name, "env": "test", "image": "hostflow-test",
                "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}, **over}
        resp = self.post("/v1/hosts", body, key=key or str(uuid.uuid4()))
        assert resp.status_code == 202, resp.text
        return resp.json()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def api() -> Api:
    url, token = os.environ.get("HOSTFLOW_API_URL"), os.environ.get("HOSTFLOW_TOKEN")
    if not (url and token):
        pytest.fail("HOSTFLOW_API_URL/HOSTFLOW_TOKEN unset: run through scripts/test.sh (it sources .hostflow/openrc)")
    return Api(url, token)


@pytest.fixture(scope="session")
def libvirt(settings):
    compute = LibvirtCompute(settings.libvirt_uri)
    yield compute
    compute.close()


def prefect_auth() -> tuple[str, str]:
    """The Prefect server's basic auth (PREFECT_API_AUTH_STRING, from .hostflow/openrc)."""
    user, _, password = os.environ["PREFECT_API_AUTH_STRING"].partition(":")
    return user, password


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def wait_for(probe, what: str, timeout: float = 60, until=bool, interval: float = 0.2):
    """What `probe()` returns once `until` holds for it, polled every `interval` seconds; a
    probe must answer "not yet" (not raise) while what it reads is not there. At the
    deadline this fails, saying what was awaited and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        last = probe()
        if until(last):
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not after {timeout}s; last seen: {last!r}")
        time.sleep(interval)


RUN = REPO / ".hostflow" / "run"


def service_pid(service: str) -> int:
    """The pid scripts/stack.sh recorded for one of its services."""
    return int((RUN / f"{service}.pid").read_text())


def process_gone(pid: int, seconds: float = 20) -> None:
    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    wait_for(gone, f"process {pid} to exit", timeout=seconds, interval=0.1)


def stop_service(service: str) -> None:
    """SIGTERM to one of the stack's services, and its exit waited for."""
    pid = service_pid(service)
    os.kill(pid, signal.SIGTERM)
    process_gone(pid)


def stack_up() -> None:
    """scripts/stack.sh up: starts again whatever service is not running."""
    subprocess.run(["bash", str(REPO / "scripts" / "stack.sh"), "up"], check=True, capture_output=True)


def power_state(api, host: dict) -> str:
    return api.get(f"/v1/hosts/{host['id']}").json()["host"]["power_state"]


def recorded_within(api, host: dict, wanted: str, seconds: float) -> float:
    """Seconds until the API shows `wanted`; fails after `seconds`."""
    began = time.monotonic()
    while power_state(api, host) != wanted:
        assert time.monotonic() - began < seconds, f"power_state still {power_state(api, host)}, not {wanted}"
        time.sleep(0.1)
    return time.monotonic() - began


def forget_neighbour(probe: str, address: str) -> None:
    """Drops the namespace's ARP entry for an address, as a router does for a new lease:
    the address may have belonged to a guest gone since, with another MAC."""
    subprocess.run(["ip", "-n", probe, "neigh", "del", address, "dev", "hfgw1"], capture_output=True)


@pytest.fixture(scope="session")
def probe(settings):
    """The stack's gateway namespace on the isolated VM bridge (scripts/stack.sh
    gateway-ns): it holds the gateway address, so guests answer it on their own subnet."""
    have = subprocess.run(["ip", "-n", PROBE_NS, "-br", "addr"], capture_output=True, text=True)
    if f"{settings.vm_gateway}/" not in have.stdout:
        pytest.fail(f"no namespace {PROBE_NS} holding {settings.vm_gateway}: is the stack up (scripts/stack.sh up)?")
    subprocess.run(["ip", "-n", PROBE_NS, "neigh", "flush", "all"], check=True)  # MACs of guests gone since
    return PROBE_NS


def leftovers(settings: Settings, libvirt: LibvirtCompute, host_id: str) -> dict:
    """Everything that would show a host was not fully removed."""
    from sqlalchemy import select

    from infra.db.engine import database
    from infra.db.models import CapacityClaim, IpAllocation

    db = database(settings.database_url)
    with db.session() as s:
        claims = s.scalars(select(CapacityClaim).where(CapacityClaim.host_id == host_id)).all()
        ips = s.scalars(select(IpAllocation).where(IpAllocation.host_id == host_id)).all()
    return {
        "domain": libvirt.state(f"hf-{host_id}") != "absent",
        "files": [str(p) for p in (settings.state_dir / "nodes").glob(f"*/instances/{host_id}*")],
        "libvirt_log": (settings.libvirt_log_dir / f"hf-{host_id}.log").exists(),
        "ip_allocations": len(ips),
        "capacity_claims": len(claims),
    }


NOTHING = {"domain": False, "files": [], "libvirt_log": False, "ip_allocations": 0, "capacity_claims": 0}


TEST_PREFIXES = ("e2e-", "fault-", "kill-", "huge-", "dry-")


@pytest.fixture(scope="session", autouse=True)
def reclaim_leftover_test_hosts(api):
    """Hosts an interrupted earlier run left behind are reclaimed through the API first,
    so their claims and addresses do not crowd out this run."""
    hosts = api.get("/v1/hosts").json()["hosts"]
    for host in hosts:
        if host["env"] == "test" and host["name"].startswith(TEST_PREFIXES):
            resp = api.delete(f"/v1/hosts/{host['id']}")
            if resp.status_code == 202:
                api.wait(resp.json()["operation"]["id"], timeout=120)


@pytest.fixture(scope="module")
def host(api):
    """A running test guest for the module, reclaimed after it."""
    accepted = api.allocate(unique_name("e2e"))
    op = api.wait(accepted["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    yield api.get(f"/v1/hosts/{accepted['host']['id']}").json()["host"]
    api.wait(api.delete(f"/v1/hosts/{accepted['host']['id']}").json()["operation"]["id"])


@pytest.fixture(scope="session")
def manifest(settings) -> dict:
    """The stock Debian image set-up built (tests/e2e/test_stock_guest*.py)."""
    path = Path(settings.state_dir) / "images" / "debian-12" / "manifest.json"
    if not path.exists():
        pytest.fail(f"no {path}: scripts/setup.sh builds the Debian image (scripts/build-debian-image.sh)")
    return {**json.loads(path.read_text()), "dir": path.parent}


@pytest.fixture(scope="session")
def ssh_key(tmp_path_factory) -> Path:
    """A key pair whose public half a stock guest is allocated with."""
    key = tmp_path_factory.mktemp("ssh") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key
