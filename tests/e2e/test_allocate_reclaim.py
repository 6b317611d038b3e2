"""Allocate a host through the API, reach it, reclaim it, and find nothing left."""
import subprocess
import uuid
import xml.etree.ElementTree as ET

import pytest

from infra import console
from infra.domain_xml import domain_name
from tests.e2e.conftest import NOTHING, forget_neighbour, leftovers, unique_name


@pytest.fixture(scope="module")
def host(api):
    name, key = unique_name("e2e"), str(uuid.uuid4())
    accepted = api.allocate(name, key=key)
    op = api.wait(accepted["operation"]["id"])
    yield {"name": name, "key": key, "accepted": accepted, "op": op, "id": accepted["host"]["id"]}
    resp = api.delete(f"/v1/hosts/{accepted['host']['id']}")
    if resp.status_code == 202:  # the next module starts with the host gone, not going
        api.wait(resp.json()["operation"]["id"])


def test_allocation_succeeds_with_every_step_journalled(host):
    op = host["op"]
    assert op["state"] == "succeeded", op["error"]
    assert [s["name"] for s in op["steps"]] == [
        "claim_capacity", "allocate_ip", "ensure_networks", "ensure_image_cached", "ensure_root_disk",
        "ensure_config_drive", "ensure_domain_defined", "ensure_share_exports", "ensure_running", "wait_guest_up",
        "ensure_host_name", "ensure_host_ptr"]
    assert all(s["state"] == "succeeded" for s in op["steps"])
    assert op["flow_run_id"]


def test_host_is_active_with_its_address(api, host):
    got = api.get(f"/v1/hosts/{host['id']}").json()["host"]
    assert got["state"] == "active" and got["hypervisor"] in {"hv1", "hv2"}
    assert got["addresses"][0]["cidr"] == host["op"]["result"]["addresses"][0]["cidr"]
    assert got["fqdn"] == f"{host['name']}.test.cloud.internal"


def test_guest_console_shows_hostname_and_address(api, host, settings):
    got = api.get(f"/v1/hosts/{host['id']}").json()["host"]
    log = settings.state_dir / "nodes" / got["hypervisor"] / "instances" / host["id"] / "console.log"
    state = console.latest(log)
    assert state["hostname"] == host["name"]
    assert got["addresses"][0]["cidr"] in [a["cidr"] for a in state["addresses"]]


def test_guest_answers_ping_from_a_namespace_on_its_bridge(api, host, probe):
    address = api.get(f"/v1/hosts/{host['id']}").json()["host"]["addresses"][0]["address"]
    forget_neighbour(probe, address)
    ping = subprocess.run(["ip", "netns", "exec", probe, "ping", "-c", "3", "-W", "2", address],
                          capture_output=True, text=True)
    assert ping.returncode == 0, ping.stdout + ping.stderr


def test_the_guest_may_send_only_from_its_recorded_addresses(api, host, libvirt):
    """libvirt's clean-traffic filter on its tap: other IPv4 sources and ARP claims are dropped."""
    got = api.get(f"/v1/hosts/{host['id']}").json()["host"]
    live = ET.fromstring(libvirt.xml(domain_name(host["id"]), inactive=False))
    iface = live.find("devices/interface")
    tap = iface.find("target").get("dev")
    assert iface.find("filterref").get("filter") == "clean-traffic"
    chains = subprocess.run(["ebtables", "-t", "nat", "-L"], capture_output=True, text=True, check=True).stdout
    ip_chain = chains.split(f"Bridge chain: I-{tap}-ipv4-ip", 1)[1].split("Bridge chain:", 1)[0]
    assert f"--ip-src {got['addresses'][0]['address']} -j RETURN" in ip_chain and "-j DROP" in ip_chain


def test_same_key_same_body_returns_same_operation(api, host):
    again = api.allocate(host["name"], key=host["key"])
    assert again["operation"]["id"] == host["accepted"]["operation"]["id"]
    assert again["host"]["id"] == host["id"]


def test_same_key_different_body_is_refused(api, host):
    resp = api.post("/v1/hosts", {"name": host["name"] + "x", "env": "test", "image": "hostflow-test",
                                  "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}, key=host["key"])
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "idempotency_key_reused"


def test_name_in_use_in_the_same_env_is_a_conflict(api, host):
    resp = api.post("/v1/hosts", {"name": host["name"], "env": "test", "image": "hostflow-test",
                                  "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}, key=str(uuid.uuid4()))
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "name_in_use"


def test_hypervisors_show_the_claim(api, host):
    hvs = {h["name"]: h for h in api.get("/v1/hypervisors").json()["hypervisors"]}
    hv = api.get(f"/v1/hosts/{host['id']}").json()["host"]["hypervisor"]
    assert hvs[hv]["claimed"]["vcpus"] >= 1 and hvs[hv]["heartbeat"]


def test_reclaim_dry_run_plans_without_changing(api, host, libvirt):
    resp = api.delete(f"/v1/hosts/{host['id']}", params={"dry_run": "true"})
    assert resp.status_code == 200
    plan = {s["name"]: s for s in resp.json()["steps"]}
    assert plan["ensure_stopped"]["action"] == "shutdown" and plan["ensure_stopped"]["node"].startswith("hv.")
    assert plan["release_ip"]["action"] == "release"
    assert libvirt.state(f"hf-{host['id']}") == "running"


def test_reclaim_leaves_nothing_behind(api, host, settings, libvirt):
    resp = api.delete(f"/v1/hosts/{host['id']}")
    assert resp.status_code == 202
    op = api.wait(resp.json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    assert leftovers(settings, libvirt, host["id"]) == NOTHING
    assert api.get(f"/v1/hosts/{host['id']}").json()["host"]["state"] == "deleted"


def test_reclaiming_again_returns_the_last_reclaim(api, host):
    first = api.delete(f"/v1/hosts/{host['id']}").json()["operation"]["id"]
    second = api.delete(f"/v1/hosts/{host['id']}").json()["operation"]["id"]
    assert first == second
