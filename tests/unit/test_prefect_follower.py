"""The `hostflow-operation` deployment follows only the operation the API started it
for: the API records the follower's run id on the operation, and a run started by hand
in the Prefect UI for some operation id touches nothing."""
from types import SimpleNamespace

import pytest

from tests.unit.test_approvals import make_api
from tests.unit.test_resize import add_host
from workers.deployments import hosts, run


@pytest.fixture
def svc(tmp_path, monkeypatch):
    client = make_api(tmp_path, monkeypatch)
    monkeypatch.setattr(run, "services", lambda: client.svc)
    monkeypatch.setattr(hosts, "services", lambda: client.svc)
    monkeypatch.setattr(run, "flow_run", SimpleNamespace(id="run-1", name="brave-fox", parameters={}))
    return client.svc


def an_operation(svc) -> str:
    add_host(SimpleNamespace(svc=svc))
    return svc.operations.create("reclaim", "k1", {}, host_id="h1", requester="alice")[0]["id"]


def test_a_run_not_started_for_the_operation_is_refused_and_touches_nothing(svc, monkeypatch):
    op_id = an_operation(svc)
    svc.operations.set_fields(op_id, deployment_run_id="run-the-api-started")
    followed = []
    monkeypatch.setattr(hosts, "follow", lambda s, i: followed.append(i))
    with pytest.raises(run.NotThisRunsOperation) as refused:
        hosts.operation.fn(operation_id=op_id)
    assert refused.value.code == "not_this_runs_operation" and refused.value.status == 403
    assert followed == [] and svc.operations.get(op_id)["deployment_run_id"] == "run-the-api-started"


def test_a_run_for_an_operation_with_no_follower_recorded_is_refused_after_waiting(svc):
    op_id = an_operation(svc)
    with pytest.raises(run.NotThisRunsOperation):
        run.started_for(svc, op_id, wait_s=0)
    assert svc.operations.get(op_id).get("deployment_run_id") is None


def test_the_run_the_api_started_follows_its_operation(svc, monkeypatch):
    op_id = an_operation(svc)
    svc.operations.set_fields(op_id, deployment_run_id="run-1")
    monkeypatch.setattr(hosts, "follow", lambda s, i: f"followed {i}")
    assert hosts.operation.fn(operation_id=op_id) == f"followed {op_id}"
