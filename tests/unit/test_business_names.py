"""Business names asked for at allocation: validated with the request, published as
CNAMEs to the host's own name after it, undone with it."""
import pytest

from infra.errors import StepFailed
from tests.unit.test_approvals import Nodes, allocate, call, make_api, run

FLAVOR = {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}


@pytest.fixture
def api(tmp_path, monkeypatch):
    return make_api(tmp_path, monkeypatch)


class Recording(Nodes):
    """Keeps each request; the third `ensure_record` (the business name, after the host's
    A and PTR) fails when `refuse_name`."""

    def __init__(self, refuse_name=False):
        super().__init__(on_step=self.maybe_refuse)
        self.refuse_name, self.requests = refuse_name, []

    def maybe_refuse(self, function):
        if self.refuse_name and function == "ensure_record" and self.calls.count("ensure_record") == 2:
            raise StepFailed("the name points elsewhere", code="name_conflict")

    def run(self, queue, job_id, function, request, reuse=True, mode="do"):
        self.requests.append((job_id, request))
        return super().run(queue, job_id, function, request, reuse, mode)


def test_the_names_are_normalised_and_kept_with_the_request(api):
    op = allocate(api, env="test", names=["WWW.cloud.internal.", "shop.test.cloud.internal", "www.cloud.internal"])
    assert op["params"]["names"] == ["www.cloud.internal", "shop.test.cloud.internal"]


@pytest.mark.parametrize("names,code", [(["www.example.com"], "outside_managed_zones"),
                                        (["web1.test.cloud.internal"], "invalid_name"),
                                        (["not a name"], "invalid_request")])
def test_a_bad_name_refuses_the_allocation(api, names, code):
    resp = call(api, "POST", "/v1/hosts", {"name": "web1", "env": "test", "image": "img", "flavor": FLAVOR,
                                           "names": names})
    assert resp.status_code == 422 and resp.json["error"]["code"] == code
    assert api.queued == [] and api.svc.operations.list()[1] == 0


def test_each_name_is_a_cname_to_the_host_published_last(api):
    op = allocate(api, env="test", names=["www.cloud.internal"])
    nodes = Recording()
    final = run(api, op["id"], nodes)
    assert final["state"] == "succeeded" and final["result"]["names"] == ["www.cloud.internal"]
    job, request = nodes.requests[-1]
    assert job.endswith("ensure_business_name_1")
    assert (request["fqdn"], request["type"], request["value"], request["kind"]) == (
        "www.cloud.internal", "CNAME", "web1.test.cloud.internal", "business")


def test_a_name_that_cannot_be_published_undoes_the_allocation(api):
    op = allocate(api, env="test", names=["www.cloud.internal"])
    nodes = Recording(refuse_name=True)
    final = run(api, op["id"], nodes)
    assert final["state"] == "rolled_back" and final["error"]["code"] == "name_conflict"
    assert nodes.calls[-1] == "undo release_capacity"
