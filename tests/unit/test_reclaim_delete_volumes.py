"""Reclaim with delete_volumes: the request takes the host's volumes (in-use -> deleting) with
the operation, the flow deletes them once the domain is undefined, the records say `deleted`;
a failure gives back what it did not touch."""
import json
import uuid

import pytest

from flows import reclaim_host
from flows.runner import run_operation
from infra.db.models import Host, Volume
from infra.errors import StepFailed
from tests.fakes import record_only

RECLAIM_STEPS = ["ensure_stopped", "ensure_undefined", "delete_instance_files", "remove_host_names",
                 "remove_share_exports", "release_ip", "release_capacity"]


@pytest.fixture
def queued(api):
    """Operations handed to the queue (none reach a worker)."""
    return record_only(api.svc).queued


def add_host_with_volumes(client):
    """Host h1 on hv1 with v1 and v2 attached; v3 on the same node, not attached."""
    with client.svc.operations.db.session() as s:
        s.add(Host(id="h1", name="web1", env="test", fqdn="web1.test", state="active", hypervisor="hv1",
                   image_id="i", vcpus=1, ram_mb=256, disk_gb=1))
        for vid, host in (("v1", "h1"), ("v2", "h1"), ("v3", None)):
            s.add(Volume(id=vid, name=vid, env="test", size_gb=1, hypervisor="hv1", host_id=host,
                         state="in-use" if host else "available", target="vdc" if host else None))


def reclaim(client, body=None, query=""):
    return client.open(f"/v1/hosts/h1{query}", method="DELETE",
                       data=json.dumps(body) if body is not None else None,
                       headers={"Authorization": f"Bearer {client.admin}", "Content-Type": "application/json",
                                "Idempotency-Key": str(uuid.uuid4())})


def states(client) -> dict:
    return {v["id"]: v["state"] for v in client.svc.volumes.list(include_deleted=True)}


class Nodes:
    """A dispatcher whose every step succeeds, except `fail_at`; it keeps the requests."""

    def __init__(self, fail_at=None):
        self.fail_at, self.requests = fail_at, {}

    def run(self, queue, job_id, function, request, reuse=True, mode="do"):
        self.requests[function] = request
        if function == self.fail_at:
            raise StepFailed(f"injected fault in {function}", code="injected_fault")
        return {"ok": True, "outcome": {"changed": True, "before": None, "after": "x", "note": "", "data": {}}}


def run(client, op_id, nodes):
    run_operation(op_id, client.svc.settings, dispatcher=nodes, prefect=False)
    return client.svc.operations.get(op_id)


# --- the request -------------------------------------------------------------------

@pytest.mark.parametrize("body,query", [({"delete_volumes": True}, ""), (None, "?delete_volumes=true")])
def test_delete_volumes_takes_the_attached_volumes_with_the_operation(api, queued, body, query):
    add_host_with_volumes(api)
    resp = reclaim(api, body, query)
    assert resp.status_code == 202, resp.json
    op = api.svc.operations.get(resp.json["operation"]["id"])
    assert op["params"] == {"host_id": "h1", "delete_volumes": True}
    assert states(api) == {"v1": "deleting", "v2": "deleting", "v3": "available"}
    assert queued == [op["id"]]


def test_without_the_option_volumes_stay_attached_and_params_are_unchanged(api, queued):
    add_host_with_volumes(api)
    resp = reclaim(api)
    assert resp.status_code == 202
    assert api.svc.operations.get(resp.json["operation"]["id"])["params"] == {"host_id": "h1"}
    assert states(api) == {"v1": "in-use", "v2": "in-use", "v3": "available"}


@pytest.mark.parametrize("body", [{"delete_volume": True}, {"delete_volumes": "yes"}, {"delete_volumes": 1}])
def test_a_bad_body_is_refused_and_records_nothing(api, queued, body):
    add_host_with_volumes(api)
    resp = reclaim(api, body)
    assert resp.status_code == 422 and resp.json["error"]["code"] == "invalid_request"
    assert api.svc.operations.latest_for_host("h1", "reclaim_host") is None
    assert api.svc.hosts.get("h1")["state"] == "active"
    assert states(api) == {"v1": "in-use", "v2": "in-use", "v3": "available"}


def test_a_reclaim_in_progress_with_other_options_is_a_conflict(api, queued):
    add_host_with_volumes(api)
    first = reclaim(api)
    again = reclaim(api)
    assert again.status_code == 202 and again.json["operation"]["id"] == first.json["operation"]["id"]
    other = reclaim(api, {"delete_volumes": True})
    assert other.status_code == 409 and other.json["error"]["code"] == "host_busy"
    assert states(api)["v1"] == "in-use"


def test_the_webhook_takes_the_option_too(api, queued):
    from tests.unit.test_api_validation import signed

    add_host_with_volumes(api)
    raw = json.dumps({"operation": "reclaim_host", "params": {"host_id": "h1", "delete_volumes": True}}).encode()
    resp = api.post("/v1/webhooks/generic", data=raw, headers=signed(raw, **{"Content-Type": "application/json"}))
    assert resp.status_code == 202, resp.json
    assert states(api)["v1"] == "deleting"


# --- the flow ----------------------------------------------------------------------

def test_steps_delete_the_volumes_right_after_the_domain_is_undefined():
    ctx = {"host_id": "h1", "hypervisor": "hv1", "volume_ids": ["v1"]}
    names = [s.name for s in reclaim_host.steps_for(ctx)]
    assert names == RECLAIM_STEPS[:2] + ["delete_host_volumes"] + RECLAIM_STEPS[2:]
    assert [s.name for s in reclaim_host.steps_for({"hypervisor": "hv1"})] == RECLAIM_STEPS
    assert [s.name for s in reclaim_host.steps_for({**ctx, "hypervisor": None})] == RECLAIM_STEPS[3:]


def test_success_deletes_exactly_the_volumes_taken(api, queued):
    add_host_with_volumes(api)
    nodes = Nodes()
    op = run(api, reclaim(api, {"delete_volumes": True}).json["operation"]["id"], nodes)
    assert op["state"] == "succeeded", op["error"]
    assert sorted(nodes.requests["delete_host_volumes"]["volume_ids"]) == ["v1", "v2"]
    assert op["result"]["volumes_deleted"] == 2 and op["result"]["volumes_detached"] == 0
    v1 = api.svc.volumes.get("v1")
    assert v1["state"] == "deleted" and v1["deleted"] and v1["host_id"] is None
    assert states(api) == {"v1": "deleted", "v2": "deleted", "v3": "available"}
    assert api.svc.hosts.get("h1")["state"] == "deleted"


def test_plain_reclaim_detaches_and_has_no_delete_step(api, queued):
    add_host_with_volumes(api)
    nodes = Nodes()
    op = run(api, reclaim(api).json["operation"]["id"], nodes)
    assert op["state"] == "succeeded"
    assert "delete_host_volumes" not in nodes.requests
    assert op["result"]["volumes_deleted"] == 0 and op["result"]["volumes_detached"] == 2
    assert states(api) == {"v1": "available", "v2": "available", "v3": "available"}


def test_failure_before_the_delete_step_gives_the_volumes_back_and_a_retry_takes_them_again(api, queued):
    add_host_with_volumes(api)
    op_id = reclaim(api, {"delete_volumes": True}).json["operation"]["id"]
    failed = run(api, op_id, Nodes(fail_at="ensure_undefined"))
    assert failed["state"] == "failed" and failed["error"]["code"] == "injected_fault"  # the stop is not undone
    assert api.svc.hosts.get("h1")["state"] == "error"
    assert states(api) == {"v1": "in-use", "v2": "in-use", "v3": "available"}

    resp = api.post(f"/v1/operations/{op_id}/retry", headers={"Authorization": f"Bearer {api.admin}"})
    assert resp.status_code == 202, resp.json
    assert states(api) == {"v1": "deleting", "v2": "deleting", "v3": "available"}
    assert run(api, op_id, Nodes())["state"] == "succeeded"
    assert states(api) == {"v1": "deleted", "v2": "deleted", "v3": "available"}


def test_failure_in_the_delete_step_keeps_them_deleting_for_the_retry(api, queued):
    add_host_with_volumes(api)
    op_id = reclaim(api, {"delete_volumes": True}).json["operation"]["id"]
    assert run(api, op_id, Nodes(fail_at="delete_host_volumes"))["state"] == "failed"
    assert states(api) == {"v1": "deleting", "v2": "deleting", "v3": "available"}
    attach = api.post("/v1/hosts/h1/volumes", json={"volume_id": "v1"},
                      headers={"Authorization": f"Bearer {api.admin}", "Idempotency-Key": str(uuid.uuid4())})
    assert attach.status_code == 409


def test_the_cli_flag_sends_the_option(capsys):
    from cli.handlers import cmd_delete
    from cli.parser import parser

    calls = []

    class Client:
        def call(self, method, path, body=None, **kw):
            calls.append((method, path, body, kw))
            return {}

    cmd_delete(Client(), parser().parse_args(["delete", "h1", "--delete-volumes"]))
    cmd_delete(Client(), parser().parse_args(["delete", "h1"]))
    assert [(method, path, body, kw["params"]) for method, path, body, kw in calls] == [
        ("DELETE", "/v1/hosts/h1", {"delete_volumes": True}, None), ("DELETE", "/v1/hosts/h1", None, None)]
    keys = [kw["headers"]["Idempotency-Key"] for *_, kw in calls]
    assert len(set(keys)) == 2 and all(len(key) == 36 for key in keys)  # a new key each time
