"""A generic tool acts within the projects HOSTFLOW_SOURCE_PROJECTS gives its source."""
import json

from infra.db.models import Host
from tests.fakes import record_only
from tests.unit.test_api_validation import VALID, signed


def hook(api, operation: str, params: dict):
    body = json.dumps({"operation": operation, "params": params}).encode()
    return api.post("/v1/webhooks/generic", data=body, headers=signed(body))


def test_an_allocation_outside_the_sources_projects_is_403_and_records_nothing(api):
    queue = record_only(api.svc)
    resp = hook(api, "allocate_host", {**VALID, "project": "payroll"})
    assert resp.status_code == 403 and resp.json["error"]["code"] == "project_not_allowed"
    assert api.svc.hosts.list(include_deleted=True) == [] and queue.queued == []


def test_a_reclaim_of_another_projects_host_is_404_and_reclaims_nothing(api):
    queue = record_only(api.svc)
    with api.svc.operations.db.session() as s:
        s.add(Host(id="h-pay", name="pay1", env="test", project="payroll", fqdn="pay1.test", state="active",
                   hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1))
    resp = hook(api, "reclaim_host", {"host_id": "h-pay"})
    assert resp.status_code == 404 and resp.json["error"]["code"] == "host_not_found"
    assert api.svc.hosts.get("h-pay")["state"] == "active" and queue.queued == []


def test_an_allocation_in_the_default_project_is_accepted(api):
    record_only(api.svc)
    assert hook(api, "allocate_host", VALID).status_code == 202
