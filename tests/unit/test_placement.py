"""The optional `hypervisor` of an allocation: the claim lands on that node or fails no_capacity;
without it, the node with most free RAM, as before (and the request's fingerprint is unchanged)."""
import uuid

import pytest

from flows import allocate_host
from flows.kinds import KINDS
from flows.runner import stores
from functions.capacity import claim_capacity, plan_claim
from functions.node import Control
from infra.db.capacity import CapacityStore
from infra.db.hypervisors import HypervisorStore
from infra.errors import NoCapacity
from tests.fakes import record_only

RATIOS = {"cpu": 1.0, "ram": 1.0, "disk": 1.0}
BODY = {"name": "web1", "env": "test", "image": "img", "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}


def register(db, name, ram_mb):
    HypervisorStore(db).register(name, f"hv.{name}", {"vcpus": 8, "ram_mb": ram_mb, "disk_gb": 100}, RATIOS)


@pytest.fixture
def capacity(db):
    register(db, "small", 1024)
    register(db, "big", 8192)
    return CapacityStore(db)


def test_without_a_hint_the_node_with_most_free_ram(capacity):
    assert capacity.claim("h1", 1, 256, 1).hypervisor == "big"


def test_a_hint_pins_the_claim(capacity):
    assert capacity.claim("h1", 1, 256, 1, only="small").hypervisor == "small"
    assert capacity.claim("h2", 1, 256, 1, only="small").hypervisor == "small"
    assert capacity.candidates(1, 256, 1, only="small") == ["small"]


@pytest.mark.parametrize("node", ["small", "nope"])
def test_a_pinned_node_without_room_is_no_capacity_even_if_another_has_room(capacity, node):
    with pytest.raises(NoCapacity) as info:
        capacity.claim("h1", 1, 2048, 1, only=node)
    assert node in info.value.message
    assert capacity.find("h1") is None


def test_claim_capacity_honours_the_requested_node_and_again_is_unchanged(capacity):
    ctl = Control(capacity=capacity, ipam=None, vm_network="vm", vm_subnet="", vm_gateway="")
    req = {"host_id": "h1", "vcpus": 1, "ram_mb": 256, "disk_gb": 1, "hypervisor": "small"}
    assert plan_claim(ctl, req).detail.startswith("on small")
    out = claim_capacity(ctl, req)
    assert out.changed and out.data == {"hypervisor": "small"}
    again = claim_capacity(ctl, req)
    assert not again.changed and again.data == {"hypervisor": "small"}


def test_plan_names_the_pinned_node_without_room(capacity):
    ctl = Control(capacity=capacity, ipam=None, vm_network="vm", vm_subnet="", vm_gateway="")
    plan = plan_claim(ctl, {"host_id": "h1", "vcpus": 1, "ram_mb": 4096, "disk_gb": 1, "hypervisor": "small"})
    assert plan.action == "fail" and "small" in plan.detail


def post(client, body):
    return client.post("/v1/hosts", json=body,
                       headers={"Authorization": f"Bearer {client.admin}", "Idempotency-Key": str(uuid.uuid4())})


@pytest.fixture
def queued(api):
    record_only(api.svc)


def test_the_hint_reaches_the_claim_request(api, queued):
    op_id = post(api, {**BODY, "hypervisor": "hv2"}).json["operation"]["id"]
    op = api.svc.operations.get(op_id)
    assert op["params"]["hypervisor"] == "hv2"
    ctx = KINDS["allocate_host"].context(op, stores(api.svc.settings), api.svc.settings)
    assert allocate_host.STEPS[0].request(ctx) == {"host_id": op["host_id"], "vcpus": 1, "ram_mb": 256,
                                                   "disk_gb": 1, "hypervisor": "hv2"}


def test_without_a_hint_params_and_claim_request_are_as_before(api, queued):
    op = api.svc.operations.get(post(api, BODY).json["operation"]["id"])
    assert "hypervisor" not in op["params"]
    ctx = KINDS["allocate_host"].context(op, stores(api.svc.settings), api.svc.settings)
    assert "hypervisor" not in allocate_host.STEPS[0].request(ctx)


@pytest.mark.parametrize("hint", ["HV1", "hv 1", "", 1])
def test_a_bad_hint_is_refused(api, queued, hint):
    resp = post(api, {**BODY, "hypervisor": hint})
    assert resp.status_code == 422 and "hypervisor" in resp.json["error"]["message"]
    assert api.svc.hosts.list(include_deleted=True) == []
