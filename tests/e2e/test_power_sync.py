"""The record of power states stays true when the hypervisor's own parts restart:
libvirtd killed and started again (guests keep running; events resume), a hypervisor
worker restarted (its subscription resumes, nothing is reported twice), and a node
"rebooted" (libvirtd starting afresh autostarts the guests hostflow defined)."""
import os
import time
from pathlib import Path

import pytest

from infra.queue import node_job_id, redis_from_url
from tests.e2e.conftest import RUN, power_state, recorded_within, stack_up, stop_service, wait_for
from tests.e2e.test_power import act

AUTOSTARTED = Path("/run/libvirt/qemu/autostarted")  # libvirtd autostarts once per boot of the machine


def events(api, host) -> list:
    return api.get(f"/v1/hosts/{host['id']}/power-events").json()["events"]


def _power_reports(redis, node: str) -> dict:
    """The node's power reports Redis still holds (a recorded one for a minute): job key -> status."""
    return {key: redis.hget(key, "status") for key in redis.scan_iter(match=f"rq:job:{node_job_id(node, 'power_')}*")}


@pytest.fixture(scope="module")
def domain(host) -> str:
    return f"hf-{host['id']}"


@pytest.fixture(scope="module", autouse=True)
def own_libvirtd():
    if not (RUN / "libvirtd.pid").exists():
        pytest.fail("these tests restart the stack's own libvirtd: scripts/stack.sh up started none")


def test_guests_keep_running_while_libvirtd_restarts_and_its_events_resume(api, libvirt, host, domain):
    qemu = int(Path(f"/run/libvirt/qemu/{domain}.pid").read_text())
    stop_service("libvirtd")
    os.kill(qemu, 0)  # the guest's QEMU outlives the daemon
    stack_up()
    libvirt.close()
    assert libvirt.state(domain) == "running" and power_state(api, host) == "running"
    libvirt.destroy(domain)
    recorded_within(api, host, "shutoff", seconds=10)
    act(api, host, "start")


def test_a_restarted_worker_resumes_its_events_and_reports_nothing_twice(api, libvirt, settings, host, domain):
    before, node = events(api, host), host["hypervisor"]
    stop_service(f"worker-{node}")
    redis = redis_from_url(settings.redis_url)
    sent_before = set(_power_reports(redis, node))  # every report of the stopped worker, recorded or not
    stack_up()
    # the restarted worker's first report is a complete sync (workers.power_sync): recorded once its job finished
    wait_for(lambda: [key for key, status in _power_reports(redis, node).items()
                      if key not in sent_before and status == b"finished"],
             f"the first complete sync of the restarted worker-{node} recorded", timeout=30)
    assert events(api, host) == before
    libvirt.destroy(domain)
    recorded_within(api, host, "shutoff", seconds=10)
    time.sleep(2)
    assert [e["after"] for e in events(api, host)[:2]] == ["shutoff", before[0]["after"]]


def test_a_node_starting_afresh_brings_back_a_guest_that_was_shut_off(api, libvirt, host, domain):
    assert libvirt.state(domain) == "shutoff" and libvirt.autostart(domain)
    stop_service("libvirtd")
    AUTOSTARTED.unlink(missing_ok=True)  # as a reboot of the machine empties /run
    stack_up()
    libvirt.close()
    assert libvirt.wait_state(domain, {"running"}, 30) == "running"
    recorded_within(api, host, "running", seconds=10)
