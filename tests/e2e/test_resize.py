"""Resize through the API on a running guest: vCPUs hot-plugged and the disk grown live,
a revert (cold) back to the old vCPUs with the disk kept, more memory (cold), confirm;
the guest's own state line proves each size."""
import time
import uuid

from infra import console

GIB = 1 << 30


def guest(settings, host: dict) -> dict:
    log = settings.state_dir / "nodes" / host["hypervisor"] / "instances" / host["id"] / "console.log"
    return console.latest(log) or {}


def settled(settings, host: dict, check, seconds: float = 10.0) -> dict:
    """The guest prints its state when it changes, checking about once a second."""
    deadline = time.monotonic() + seconds
    while not check(state := guest(settings, host)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return state


def root_size(state: dict) -> int:
    return next(b["size_bytes"] for b in state["blocks"] if b["name"] == "vda")


def flavor(vcpus: int, ram_mb: int, disk_gb: int) -> dict:
    return {"flavor": {"vcpus": vcpus, "ram_mb": ram_mb, "disk_gb": disk_gb}}


def run(api, path: str, body=None) -> dict:
    resp = api.post(path, body, key=str(uuid.uuid4()))
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    return op


def test_more_vcpus_and_a_bigger_disk_are_applied_live(api, settings, host):
    op = run(api, f"/v1/hosts/{host['id']}/resize", flavor(2, 256, 2))
    assert op["result"]["path"] == "live"
    got = api.get(f"/v1/hosts/{host['id']}").json()["host"]
    assert got["state"] == "verify_resize" and got["flavor"] == {"vcpus": 2, "ram_mb": 256, "disk_gb": 2}
    state = guest(settings, host)
    assert state["vcpus"] == 2 and root_size(state) == 2 * GIB


def test_a_revert_brings_back_one_vcpu_and_keeps_the_grown_disk(api, settings, host):
    op = run(api, f"/v1/hosts/{host['id']}/resize/revert")
    assert op["result"]["path"] == "cold" and "stays grown" in op["result"]["note"]
    got = api.get(f"/v1/hosts/{host['id']}").json()["host"]
    assert got["state"] == "active" and got["flavor"] == {"vcpus": 1, "ram_mb": 256, "disk_gb": 2}
    state = settled(settings, host, lambda s: s.get("vcpus") == 1)
    assert state["vcpus"] == 1 and root_size(state) == 2 * GIB


def test_more_memory_than_the_definition_holds_restarts_the_guest_with_it(api, settings, host):
    before = guest(settings, host)["mem_kb"]
    op = run(api, f"/v1/hosts/{host['id']}/resize", flavor(1, 384, 2))
    assert op["result"]["path"] == "cold"
    assert guest(settings, host)["mem_kb"] > before + 100 * 1024


def test_confirm_makes_the_host_active_and_a_second_confirm_is_refused(api, host):
    run(api, f"/v1/hosts/{host['id']}/resize/confirm")
    assert api.get(f"/v1/hosts/{host['id']}").json()["host"]["state"] == "active"
    resp = api.post(f"/v1/hosts/{host['id']}/resize/confirm")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "no_resize_pending"


def test_a_resize_no_node_can_hold_fails_and_leaves_the_host_as_it_was(api, settings, host):
    resp = api.post(f"/v1/hosts/{host['id']}/resize", flavor(1, 60000, 2))
    op = api.wait(resp.json()["operation"]["id"])
    assert op["state"] == "failed" and op["error"]["code"] == "no_capacity"
    got = api.get(f"/v1/hosts/{host['id']}").json()["host"]
    assert got["state"] == "active" and got["flavor"] == {"vcpus": 1, "ram_mb": 384, "disk_gb": 2}
    assert guest(settings, host)["vcpus"] == 1


def test_a_shrink_or_the_same_flavor_is_refused(api, host):
    for body, code in ((flavor(1, 384, 1), "shrink_not_supported"), (flavor(1, 384, 2), "same_flavor")):
        resp = api.post(f"/v1/hosts/{host['id']}/resize", body)
        assert resp.status_code == 422 and resp.json()["error"]["code"] == code
    assert api.get(f"/v1/hosts/{host['id']}").json()["host"]["state"] == "active"
