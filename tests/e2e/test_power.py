"""Power actions on a running test guest, in the order an operator would use them, and
the record staying true when the domain changes behind hostflow's back: libvirt's own
state, the guest's console, and the host's recorded power state prove each step."""
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import power_state, recorded_within, unique_name

SAVE_DIR = Path("/var/lib/libvirt/qemu/save")  # where qemu:///system keeps managed save images
BOOT_LINE = "hostflow-init: starting"


def act(api, host: dict, action: str, **extra) -> dict:
    resp = api.post(f"/v1/hosts/{host['id']}/actions", {"action": action, **extra})
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    return op


def settled(api, host: dict, seconds: float = 60) -> dict:
    """The host once no operation has it (e.g. the start its restart policy asked for)."""
    deadline = time.monotonic() + seconds
    while (got := api.get(f"/v1/hosts/{host['id']}").json()["host"])["state"] != "active":
        assert time.monotonic() < deadline, f"host still {got['state']}"
        time.sleep(0.2)
    return got


def console(settings, host: dict) -> str:
    path = settings.state_dir / "nodes" / host["hypervisor"] / "instances" / host["id"] / "console.log"
    return path.read_text(errors="replace")


@pytest.fixture(scope="module")
def domain(host) -> str:
    return f"hf-{host['id']}"


def test_a_new_host_is_running_and_starts_with_its_node(api, libvirt, host, domain):
    assert power_state(api, host) == "running"
    assert libvirt.autostart(domain)


def test_stop_shuts_the_guest_down_cleanly(api, libvirt, host, domain):
    op = act(api, host, "stop")
    assert op["result"]["power_state"] == "shutoff" and libvirt.state(domain) == "shutoff"
    assert next(s for s in op["steps"] if s["name"] == "power_off")["note"] == "shut down"
    assert power_state(api, host) == "shutoff"


def test_an_action_that_does_not_fit_the_power_state_is_409_and_records_nothing(api, host):
    before = api.get("/v1/operations", params={"limit": 1}).json()["total"]
    for action in ("stop", "resume", "pause", "unpause", "suspend"):
        resp = api.post(f"/v1/hosts/{host['id']}/actions", {"action": action})
        assert resp.status_code == 409 and resp.json()["error"]["code"] == "wrong_power_state", resp.text
        assert resp.json()["error"]["details"]["power_state"] == "shutoff"
    assert api.get("/v1/operations", params={"limit": 1}).json()["total"] == before


def test_a_dry_run_plans_the_start_on_the_node(api, host):
    resp = api.post(f"/v1/hosts/{host['id']}/actions?dry_run=true", {"action": "start"})
    assert resp.status_code == 200, resp.text
    assert [(s["name"], s["action"]) for s in resp.json()["steps"]][0] == ("power_on", "start")
    assert power_state(api, host) == "shutoff"


def test_start_boots_the_guest_and_waits_for_it(api, libvirt, settings, host, domain):
    op = act(api, host, "start")
    assert libvirt.state(domain) == "running" and op["result"]["guest"]["hostname"] == host["name"]
    assert BOOT_LINE in console(settings, host)


def test_pause_and_unpause(api, libvirt, host, domain):
    act(api, host, "pause")
    assert libvirt.state(domain) == "paused" and power_state(api, host) == "paused"
    act(api, host, "unpause")
    assert libvirt.state(domain) == "running" and power_state(api, host) == "running"


def test_suspend_saves_the_memory_to_the_node_and_resume_restores_it_without_a_boot(api, libvirt, settings, host,
                                                                                     domain):
    act(api, host, "suspend")
    assert libvirt.power_state(domain) == "suspended" and (SAVE_DIR / f"{domain}.save").exists()
    act(api, host, "resume")
    assert libvirt.state(domain) == "running" and not (SAVE_DIR / f"{domain}.save").exists()
    assert BOOT_LINE not in console(settings, host)  # the log starts anew with QEMU: no boot since


def test_a_soft_and_a_hard_reboot_each_start_a_new_qemu_and_wait_for_the_guest(api, libvirt, host, domain):
    for how in ("soft", "hard"):
        started = libvirt.started_at(domain)
        op = act(api, host, "reboot", type=how)
        assert libvirt.started_at(domain) > started and op["result"]["guest"]["hostname"] == host["name"]
        note = next(s for s in op["steps"] if s["name"] == "power_off")["note"]
        assert note == ("shut down" if how == "soft" else "forced off")


def test_a_domain_destroyed_behind_hostflows_back_shows_shutoff_and_start_brings_it_back(api, libvirt, host, domain):
    libvirt.destroy(domain)
    recorded_within(api, host, "shutoff", seconds=5)
    events = api.get(f"/v1/hosts/{host['id']}/power-events").json()["events"]
    assert events[0]["after"] == "shutoff" and events[0]["source"] in {"event", "sync"}
    act(api, host, "start")
    assert libvirt.state(domain) == "running" and power_state(api, host) == "running"


def test_the_console_tail_is_read_by_the_node(api, host):
    got = api.get(f"/v1/hosts/{host['id']}/console", params={"lines": 5}).json()
    assert got["exists"] and 0 < len(got["console"].splitlines()) <= 5
    assert "HOSTFLOW-STATE" in got["console"] and "\x1b" not in got["console"]


def test_a_suspended_host_is_reclaimed_with_its_saved_memory(api, libvirt):
    accepted = api.allocate(unique_name("e2e"))
    assert api.wait(accepted["operation"]["id"])["state"] == "succeeded"
    host = api.get(f"/v1/hosts/{accepted['host']['id']}").json()["host"]
    act(api, host, "suspend")
    op = api.wait(api.delete(f"/v1/hosts/{host['id']}", key=str(uuid.uuid4())).json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    assert libvirt.state(f"hf-{host['id']}") == "absent" and not (SAVE_DIR / f"hf-{host['id']}.save").exists()


def test_a_host_asking_to_restart_always_comes_back_but_a_stop_through_hostflow_holds(api, libvirt):
    accepted = api.allocate(unique_name("e2e"), restart="always")
    assert api.wait(accepted["operation"]["id"])["state"] == "succeeded"
    host = api.get(f"/v1/hosts/{accepted['host']['id']}").json()["host"]
    domain = f"hf-{host['id']}"
    try:
        started = libvirt.started_at(domain)
        libvirt.destroy(domain)
        assert libvirt.wait_state(domain, {"running"}, 20) == "running" and libvirt.started_at(domain) > started
        restarted = settled(api, host)
        assert (restarted["restarts"], restarted["power_state"]) == (1, "running")
        act(api, host, "stop")
        time.sleep(3)
        assert libvirt.state(domain) == "shutoff" and power_state(api, host) == "shutoff"
    finally:
        api.wait(api.delete(f"/v1/hosts/{host['id']}").json()["operation"]["id"])
