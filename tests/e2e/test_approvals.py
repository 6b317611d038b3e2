"""Approvals, cancellation and runs started from the Prefect UI, through the running stack:
the API, the Prefect server with the deployments the stack serves (workers.deployments.serve), and
guests on the hypervisors. The stack's policy: allocations in env `prod` need approval."""
import time
import uuid

import pytest
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.flow_runs import resume_flow_run
from prefect.states import Cancelling

from tests.e2e.conftest import NOTHING, Api, leftovers, unique_name

FLAVOR = {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}


def run_state(run_id: str):
    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id).state


def wait_run(run_id: str, done, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = run_state(run_id)
        if done(state):
            return state
        time.sleep(0.3)
    raise AssertionError(f"flow run {run_id} is still {state.name} after {timeout}s")


def waiting_for_approval(api, env="prod") -> dict:
    """A prod allocation, once its deployment run has suspended to wait for the answer."""
    answer = api.allocate(unique_name("e2e-prod"), env=env)
    assert answer["operation"]["state"] == "awaiting_approval"
    op = api.get(f"/v1/operations/{answer['operation']['id']}").json()["operation"]
    wait_run(op["deployment_run_id"], lambda s: s.name == "Suspended")
    return op


def reclaim(api, host_id: str) -> None:
    resp = api.delete(f"/v1/hosts/{host_id}", headers={"Idempotency-Key": str(uuid.uuid4())})
    assert api.wait(resp.json()["operation"]["id"])["state"] == "succeeded"


@pytest.fixture(scope="module")
def approver(api):
    """A second admin token: nobody approves their own request, and the `api` token asks."""
    made = api.post("/v1/tokens", {"name": "e2e-approver", "role": "admin", "projects": []}).json()["token"]
    yield Api(api.url, made["secret"])
    api.delete(f"/v1/tokens/{made['id']}")


def test_the_requester_may_not_approve_its_own_allocation(api):
    op = waiting_for_approval(api)
    resp = api.post(f"/v1/operations/{op['id']}/approve", {"note": "mine"})
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "self_approval"
    assert api.post(f"/v1/operations/{op['id']}/reject", {"note": "done"}).status_code == 202
    assert api.wait(op["id"])["state"] == "rejected"


def test_a_prod_allocation_waits_for_approval_and_proceeds_when_approved(api, approver, libvirt):
    op = waiting_for_approval(api)
    assert libvirt.state(f"hf-{op['host_id']}") == "absent"
    resp = approver.post(f"/v1/operations/{op['id']}/approve", {"note": "e2e"})
    assert resp.status_code == 202, resp.text
    final = api.wait(op["id"])
    assert final["state"] == "succeeded" and final["approval"]["by"] == "e2e-approver"
    assert libvirt.state(f"hf-{op['host_id']}") == "running"
    assert wait_run(op["deployment_run_id"], lambda s: s.is_final()).is_completed()
    reclaim(api, op["host_id"])


def test_a_rejected_prod_allocation_ends_rejected_with_nothing_created(api, settings, libvirt):
    op = waiting_for_approval(api)
    assert api.post(f"/v1/operations/{op['id']}/reject", {"note": "not in prod"}).status_code == 202
    final = api.wait(op["id"])
    assert final["state"] == "rejected" and final["error"]["code"] == "rejected"
    assert [s for s in final["steps"] if s["direction"] == "do"] == []
    assert leftovers(settings, libvirt, op["host_id"]) == NOTHING
    assert wait_run(op["deployment_run_id"], lambda s: s.is_final()).is_cancelled()


def test_the_prefect_ui_resume_form_answers_an_approval(api, settings, libvirt):
    op = waiting_for_approval(api)
    resume_flow_run(op["deployment_run_id"], run_input={"approve": False, "note": "from the UI"})
    final = api.wait(op["id"])
    assert final["state"] == "rejected"
    assert final["approval"]["by"] == "prefect-ui" and final["approval"]["note"] == "from the UI"
    assert leftovers(settings, libvirt, op["host_id"]) == NOTHING


def test_a_cancelled_allocation_leaves_nothing_behind(api, settings, libvirt):
    op_id = api.allocate(unique_name("e2e-cancel"))["operation"]["id"]
    api.wait(op_id, until=lambda op: any(s["name"] == "wait_guest_up" for s in op["steps"]))
    resp = api.post(f"/v1/operations/{op_id}/cancel")
    assert resp.status_code == 202 and resp.json()["operation"]["cancel_requested_by"] == "admin"
    final = api.wait(op_id)
    assert final["state"] == "cancelled" and final["error"]["code"] == "cancelled"
    assert not any(s["name"] == "ensure_host_name" for s in final["steps"])
    assert leftovers(settings, libvirt, final["host_id"]) == NOTHING


def test_cancelling_a_run_in_the_prefect_ui_cancels_its_operation(api, settings, libvirt):
    op_id = api.allocate(unique_name("e2e-uicancel"))["operation"]["id"]
    op = api.wait(op_id, until=lambda op: any(s["name"] == "wait_guest_up" for s in op["steps"]))
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(op["flow_run_id"], Cancelling(), force=True)
    final = api.wait(op_id)
    assert final["state"] == "cancelled" and final["cancel_requested_by"] == "prefect-ui"
    assert leftovers(settings, libvirt, final["host_id"]) == NOTHING


def test_cancelling_an_ended_operation_is_a_conflict(api):
    ops = api.get("/v1/operations", params={"state": "succeeded", "limit": 1}).json()["operations"]
    if not ops:
        pytest.fail("no succeeded operation on the stack to try")
    resp = api.post(f"/v1/operations/{ops[0]['id']}/cancel")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "not_cancellable"


def test_a_prefect_deployment_run_ends_with_a_host(api, settings, libvirt):
    name = unique_name("e2e-ui")
    request = {"name": name, "env": "test", "image": "hostflow-test", "flavor": FLAVOR}
    # the stack lets Prefect UI runs act in project default (HOSTFLOW_PREFECT_UI_PROJECTS)
    run = run_deployment("allocate-host/hostflow", parameters={"project": "default", "request": request},
                         timeout=180)
    assert run.state.is_completed(), run.state.message
    listed = api.get("/v1/operations", params={"kind": "allocate_host", "limit": 20}).json()["operations"]
    op = next(o for o in listed if o["deployment_run_id"] == str(run.id))
    assert op["state"] == "succeeded" and op["source"] == "prefect-ui" and str(run.id) in op["requester"]
    assert libvirt.state(f"hf-{op['host_id']}") == "running"
    gone = run_deployment("reclaim-host/hostflow",
                          parameters={"project": "default", "request": {"host": name, "env": "test"}}, timeout=180)
    assert gone.state.is_completed(), gone.state.message
    assert leftovers(settings, libvirt, op["host_id"]) == NOTHING
