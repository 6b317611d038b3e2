"""A run started in the Prefect UI acts within the one project its `project` parameter
names, which HOSTFLOW_PREFECT_UI_PROJECTS must list: as an operator token of that
project, not as an admin over every project. The deployments' flows are called as
Prefect would run them, with the run's id and its following of the operation replaced."""
from dataclasses import replace
from types import SimpleNamespace

import pytest

from infra.errors import HostflowError
from operations.requests import ResizeHost
from tests.unit.test_approvals import make_api
from tests.unit.test_resize import add_host
from workers.deployments import run
from workers.deployments.hosts import AllocateInProject, ReclaimHost, allocate_host, reclaim_host, resize_host

BIGGER = {"flavor": {"vcpus": 2, "ram_mb": 256, "disk_gb": 1}}
REQUEST = {"name": "web1", "env": "test", "image": "img", "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}


@pytest.fixture
def ui(tmp_path, monkeypatch):
    """The services a deployment run uses, with HOSTFLOW_PREFECT_UI_PROJECTS=team-a."""
    client = make_api(tmp_path, monkeypatch)
    client.svc.settings = replace(client.svc.settings, prefect_ui_projects="team-a")
    monkeypatch.setattr(run, "services", lambda: client.svc)
    monkeypatch.setattr(run, "follow", lambda svc, op_id: op_id)
    monkeypatch.setattr(run, "flow_run", SimpleNamespace(id="run-1", name="brave-fox", parameters={}))
    return client.svc


def recorded(svc) -> list[dict]:
    return svc.operations.list(limit=100)[0]


@pytest.mark.parametrize("allowed", ["team-a", ""])
def test_a_run_for_a_project_not_in_the_setting_is_refused_and_records_nothing(ui, allowed):
    ui.settings = replace(ui.settings, prefect_ui_projects=allowed)
    with pytest.raises(HostflowError) as refused:
        allocate_host.fn(project="team-b", request=AllocateInProject(**REQUEST))
    assert (refused.value.code, refused.value.status) == ("project_not_allowed", 403)
    assert "HOSTFLOW_PREFECT_UI_PROJECTS" in refused.value.message
    assert recorded(ui) == [] and ui.hosts.named("web1", "test") == [] and ui.queue.queued == []


def test_an_allowed_runs_allocation_lands_in_its_project(ui):
    op_id = allocate_host.fn(project="team-a", request=AllocateInProject(**REQUEST))
    op = ui.operations.get(op_id)
    assert op["source"] == "prefect-ui" and op["idempotency_key"] == "prefect:run-1"
    assert ui.hosts.get(op["host_id"])["project"] == "team-a" and ui.queue.queued == [op_id]


@pytest.mark.parametrize("by", ["name", "id"])
def test_an_allowed_run_cannot_find_another_projects_host(ui, by):
    add_host(SimpleNamespace(svc=ui))  # project default, not team-a
    host = "web-h1" if by == "name" else "h1"
    for start in (lambda: reclaim_host.fn(project="team-a", request=ReclaimHost(host=host, env="test")),
                  lambda: resize_host.fn(project="team-a", host=host, request=ResizeHost(**BIGGER))):
        with pytest.raises(HostflowError) as missing:
            start()
        assert (missing.value.code, missing.value.status) == ("host_not_found", 404)
    assert recorded(ui) == [] and ui.hosts.get("h1")["state"] == "active"
