"""Requests that end without a guest: dry runs and impossible sizes."""
from tests.e2e.conftest import NOTHING, leftovers, unique_name


def test_allocate_dry_run_answers_a_plan_and_creates_nothing(api):
    before = len(api.get("/v1/hosts").json()["hosts"])
    body = {"name": unique_name("dry"), "env": "test", "image": "hostflow-test",
            "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}
    resp = api.post("/v1/hosts", body, params={"dry_run": "true"})
    assert resp.status_code == 200, resp.text
    steps = resp.json()["steps"]
    assert [s["name"] for s in steps][:2] == ["claim_capacity", "allocate_ip"]
    by_name = {s["name"]: s for s in steps}
    assert by_name["claim_capacity"]["action"] == "claim"
    assert by_name["ensure_domain_defined"]["action"] == "define"
    assert by_name["ensure_domain_defined"]["node"].startswith("hv.")
    assert len(api.get("/v1/hosts").json()["hosts"]) == before


def test_a_request_no_node_can_hold_ends_failed_with_no_capacity(api, settings, libvirt):
    accepted = api.allocate(unique_name("huge"), flavor={"vcpus": 1, "ram_mb": 60000, "disk_gb": 1})
    op = api.wait(accepted["operation"]["id"])
    assert op["state"] == "failed" and op["error"]["code"] == "no_capacity"
    assert leftovers(settings, libvirt, accepted["host"]["id"]) == NOTHING
    assert api.get(f"/v1/hosts/{accepted['host']['id']}").json()["host"]["state"] == "failed"
