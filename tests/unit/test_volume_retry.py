"""Retrying a failed create or delete: the volume is taken back `error` -> creating/deleting by
compare-and-swap (409 if something else has it), and the operation runs again."""
import uuid

import pytest

from flows.runner import run_operation
from infra.db.hypervisors import HypervisorStore
from infra.errors import StepFailed
from tests.fakes import record_only

NODE = {"vcpus": 8, "ram_mb": 8192, "disk_gb": 100}
RATIOS = {"cpu": 1.0, "ram": 1.0, "disk": 1.0}


@pytest.fixture
def queue(api):
    q = record_only(api.svc)
    HypervisorStore(api.svc.operations.db).register("hv1", "hv.hv1", NODE, RATIOS)
    return q


class Nodes:
    def __init__(self, fail_at=None):
        self.fail_at = fail_at

    def run(self, queue, job_id, function, request, reuse=True, mode="do"):
        if function == self.fail_at:
            raise StepFailed(f"injected fault in {function}", code="injected_fault")
        return {"ok": True, "outcome": {"changed": True, "before": None, "after": "x", "note": "", "data": {}}}


def call(client, method, path, body=None):
    """As a client of the API: each call with a new Idempotency-Key."""
    return client.open(path, method=method, json=body,
                       headers={"Authorization": f"Bearer {client.admin}", "Idempotency-Key": str(uuid.uuid4())})


def run(client, op_id, nodes):
    run_operation(op_id, client.svc.settings, dispatcher=nodes, prefect=False)
    return client.svc.operations.get(op_id)


def volume_state(client, volume_id) -> str:
    return client.svc.volumes.get(volume_id)["state"]


def failed_create(client) -> tuple[str, str]:
    accepted = call(client, "POST", "/v1/volumes", {"name": "data", "size_gb": 1, "env": "test"}).json
    op_id, volume_id = accepted["operation"]["id"], accepted["volume"]["id"]
    assert run(client, op_id, Nodes(fail_at="ensure_volume"))["state"] == "failed"
    return op_id, volume_id


def retry(client, op_id):
    return call(client, "POST", f"/v1/operations/{op_id}/retry")


def test_retry_of_a_failed_create_takes_the_volume_back_and_completes(api, queue):
    op_id, volume_id = failed_create(api)
    assert volume_state(api, volume_id) == "error"
    resp = retry(api, op_id)
    assert resp.status_code == 202, resp.json
    assert volume_state(api, volume_id) == "creating"
    assert queue.attempts[-1] == (op_id, 1)
    done = run(api, op_id, Nodes())
    assert done["state"] == "succeeded" and done["attempts"] == 2
    assert volume_state(api, volume_id) == "available"


def test_retry_of_a_failed_delete_takes_the_volume_back_and_completes(api, queue):
    accepted = call(api, "POST", "/v1/volumes", {"name": "data", "size_gb": 1, "env": "test"}).json
    volume_id = accepted["volume"]["id"]
    run(api, accepted["operation"]["id"], Nodes())
    op_id = call(api, "DELETE", f"/v1/volumes/{volume_id}").json["operation"]["id"]
    assert run(api, op_id, Nodes(fail_at="delete_volume"))["state"] == "failed"
    assert volume_state(api, volume_id) == "error"
    assert retry(api, op_id).status_code == 202
    assert volume_state(api, volume_id) == "deleting"
    assert run(api, op_id, Nodes())["state"] == "succeeded"
    assert api.svc.volumes.get(volume_id)["state"] == "deleted" and api.svc.volumes.get(volume_id)["deleted"]


def test_a_volume_in_error_can_be_deleted(api, queue):
    _, volume_id = failed_create(api)
    resp = call(api, "DELETE", f"/v1/volumes/{volume_id}")
    assert resp.status_code == 202, resp.json
    assert volume_state(api, volume_id) == "deleting"
    assert run(api, resp.json["operation"]["id"], Nodes())["state"] == "succeeded"
    assert volume_state(api, volume_id) == "deleted"


def test_retry_when_something_else_took_the_volume_is_a_conflict(api, queue):
    op_id, volume_id = failed_create(api)
    assert call(api, "DELETE", f"/v1/volumes/{volume_id}").status_code == 202
    resp = retry(api, op_id)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "volume_deleting"
    assert api.svc.operations.get(op_id)["state"] == "failed"
    assert volume_state(api, volume_id) == "deleting"


def test_retry_of_an_operation_that_did_not_fail_leaves_the_volume_alone(api, queue):
    accepted = call(api, "POST", "/v1/volumes", {"name": "data", "size_gb": 1, "env": "test"}).json
    run(api, accepted["operation"]["id"], Nodes())
    resp = retry(api, accepted["operation"]["id"])
    assert resp.status_code == 409 and resp.json["error"]["code"] == "not_retryable"
    assert volume_state(api, accepted["volume"]["id"]) == "available"
