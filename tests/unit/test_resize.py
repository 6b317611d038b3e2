"""Resize: the live-or-cold decision and the definition's sizing as data; the requests
that must be refused; the flow's ends with faked nodes; the auto-confirm sweep."""
import json
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from flows.runner import run_operation
from functions.resize import decide_sizing, guest_sized
from infra.db.hypervisors import HypervisorStore
from infra.db.models import Host, Operation
from infra.domain_xml import resized, sizing
from infra.errors import NoCapacity, StepFailed
from operations.resize import auto_confirm
from tests.fakes import record_only

SIZED = {"vcpus": 1, "max_vcpus": 4, "ram_mb": 256, "max_ram_mb": 256, "balloon": True}
XML = """<domain type='qemu'><name>hf-h1</name><memory unit='KiB'>262144</memory>
<currentMemory unit='KiB'>262144</currentMemory><vcpu placement='static' current='1'>4</vcpu>
<devices><disk type='file'><target dev='vda'/></disk><memballoon model='virtio'/></devices></domain>"""


def test_more_vcpus_within_the_maximum_go_live():
    assert decide_sizing(SIZED, 2, 256, running=True).action == "live"


def test_fewer_vcpus_go_cold():
    assert decide_sizing({**SIZED, "vcpus": 2}, 1, 256, running=True).action == "cold"


def test_vcpus_above_the_maximum_go_cold():
    assert decide_sizing(SIZED, 6, 256, running=True).action == "cold"


def test_memory_within_the_maximum_goes_live_through_the_balloon():
    assert decide_sizing({**SIZED, "max_ram_mb": 512}, 1, 384, running=True).action == "live"
    assert decide_sizing({**SIZED, "max_ram_mb": 512, "balloon": False}, 1, 384, running=True).action == "cold"


def test_more_memory_than_the_maximum_goes_cold():
    assert decide_sizing(SIZED, 1, 512, running=True).action == "cold"


def test_a_stopped_domain_is_always_redefined():
    assert decide_sizing(SIZED, 2, 256, running=False).action == "cold"


def test_the_same_size_is_already_done():
    assert decide_sizing(SIZED, 1, 256, running=True).noop


def test_sizing_reads_current_and_maximum():
    assert sizing(XML) == SIZED


def test_resized_keeps_the_rest_of_the_definition():
    xml = resized(XML, vcpus=2, max_vcpus=4, ram_mb=512)
    assert sizing(xml) == {"vcpus": 2, "max_vcpus": 4, "ram_mb": 512, "max_ram_mb": 512, "balloon": True}
    assert ET.fromstring(xml).find("devices/disk/target").get("dev") == "vda"


def test_the_guest_is_sized_when_vcpus_memory_and_disk_match():
    state = {"vcpus": 2, "mem_kb": 338636, "blocks": [{"name": "vda", "size_bytes": 2 << 30}]}
    assert guest_sized(state, 2, 384, 2)
    assert not guest_sized(state, 2, 256, 2)  # more memory than asked: the old size
    assert not guest_sized(state, 1, 384, 2)
    assert not guest_sized(state, 2, 384, 3)


# --- the API --------------------------------------------------------------------

NODE = {"vcpus": 8, "ram_mb": 8192, "disk_gb": 100}


def add_host(client, state="active", host_id="h1"):
    with client.svc.operations.db.session() as s:
        s.add(Host(id=host_id, name=f"web-{host_id}", env="test", fqdn="web.test", state=state, hypervisor="hv1",
                   image_id="i", vcpus=1, ram_mb=256, disk_gb=1))


def call(client, method, path, body=None, key=None):
    """As a client of the API: each call with `key` as its Idempotency-Key, else a new one."""
    return client.open(path, method=method, data=json.dumps(body) if body is not None else None,
                       headers={"Authorization": f"Bearer {client.admin}", "Content-Type": "application/json",
                                "Idempotency-Key": key or str(uuid.uuid4())})


def flavor(vcpus=1, ram_mb=256, disk_gb=1):
    return {"flavor": {"vcpus": vcpus, "ram_mb": ram_mb, "disk_gb": disk_gb}}


@pytest.mark.parametrize("body, code", [(flavor(), "same_flavor"), (flavor(2, 256, 0), "invalid_request"),
                                        (flavor(1, 512, 0), "invalid_request")])
def test_a_resize_to_the_same_flavor_or_a_smaller_disk_is_refused(api, body, code):
    add_host(api)
    resp = call(api, "POST", "/v1/hosts/h1/resize", body)
    assert resp.status_code == 422 and resp.json["error"]["code"] == code
    assert api.svc.hosts.get("h1")["state"] == "active"


def test_a_disk_shrink_is_refused(api):
    add_host(api)
    with api.svc.operations.db.session() as s:
        s.get(Host, "h1").disk_gb = 5
    resp = call(api, "POST", "/v1/hosts/h1/resize", flavor(2, 256, 4))
    assert resp.status_code == 422 and resp.json["error"]["code"] == "shrink_not_supported"


def test_a_resize_of_a_busy_host_is_refused(api):
    add_host(api, state="building")
    resp = call(api, "POST", "/v1/hosts/h1/resize", flavor(2))
    assert resp.status_code == 409 and resp.json["error"]["code"] == "host_busy"
    assert api.svc.hosts.get("h1")["state"] == "building"


@pytest.mark.parametrize("action", ["confirm", "revert"])
def test_a_confirm_or_revert_with_no_resize_pending_is_refused(api, action):
    add_host(api)
    resp = call(api, "POST", f"/v1/hosts/h1/resize/{action}")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "no_resize_pending"
    assert api.svc.hosts.get("h1")["state"] == "active"


# --- the flow, nodes faked --------------------------------------------------------

class Nodes:
    def __init__(self, fail_at=None, error=StepFailed):
        self.fail_at, self.error, self.calls = fail_at, error, []

    def run(self, queue, job_id, function, request, reuse=True, mode="do", on_progress=None):
        self.calls.append(function)
        if function == self.fail_at:
            raise self.error(f"injected fault in {function}")
        data = {"path": "live"} if function == "resize_domain" else {}
        return {"ok": True, "outcome": {"changed": True, "before": None, "after": "x", "note": "", "data": data}}


@pytest.fixture
def queued(api):
    record_only(api.svc)
    HypervisorStore(api.svc.operations.db).register("hv1", "hv.hv1", NODE, {"cpu": 1.0, "ram": 1.0, "disk": 1.0})


def _resize(api, nodes, body=None):
    op_id = call(api, "POST", "/v1/hosts/h1/resize", body or flavor(2, 256, 2)).json["operation"]["id"]
    run_operation(op_id, settings=api.svc.settings, dispatcher=nodes, prefect=False)
    return api.svc.operations.get(op_id)


def test_a_resize_ends_in_verify_resize_with_the_new_flavor_and_its_path(api, queued):
    add_host(api)
    op = _resize(api, Nodes())
    host = api.svc.hosts.get("h1")
    assert op["state"] == "succeeded" and op["result"]["path"] == "live"
    assert host["state"] == "verify_resize" and host["flavor"] == {"vcpus": 2, "ram_mb": 256, "disk_gb": 2}


def test_a_resize_the_node_cannot_hold_leaves_the_host_untouched(api, queued):
    add_host(api)
    nodes = Nodes(fail_at="resize_claim", error=NoCapacity)
    op = _resize(api, nodes)
    assert op["state"] == "failed" and op["error"]["code"] == "no_capacity"
    assert nodes.calls == ["resize_claim", "undo_resize_claim"]
    host = api.svc.hosts.get("h1")
    assert host["state"] == "active" and host["flavor"] == {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}


def test_a_guest_that_never_shows_the_new_size_is_put_back(api, queued):
    add_host(api)
    nodes = Nodes(fail_at="wait_guest_sized")
    op = _resize(api, nodes)
    assert op["state"] == "rolled_back"
    assert nodes.calls[-2:] == ["undo_resize_domain", "undo_resize_claim"]
    assert api.svc.hosts.get("h1")["state"] == "active"


def test_a_revert_brings_back_the_old_vcpus_and_memory_and_keeps_the_grown_disk(api, queued):
    add_host(api)
    _resize(api, Nodes(), flavor(2, 512, 3))
    op_id = call(api, "POST", "/v1/hosts/h1/resize/revert").json["operation"]["id"]
    run_operation(op_id, settings=api.svc.settings, dispatcher=Nodes(), prefect=False)
    host = api.svc.hosts.get("h1")
    assert host["state"] == "active" and host["flavor"] == {"vcpus": 1, "ram_mb": 256, "disk_gb": 3}
    assert "grown disk stays grown" in api.svc.operations.get(op_id)["result"]["note"]


def test_auto_confirm_confirms_only_resizes_older_than_the_window(api, queued):
    add_host(api)
    add_host(api, host_id="h2")
    _resize(api, Nodes())
    with api.svc.operations.db.session() as s:
        s.get(Host, "h2").state = "verify_resize"
        s.add(Operation(id="old", kind="resize_host", idempotency_key="k-old", fingerprint="f", host_id="h2",
                        state="succeeded", params={"flavor": {}, "from": {}},
                        finished_at=datetime.now(UTC) - timedelta(days=2)))
    assert auto_confirm(api.svc, older_than_s=86400) == ["h2"]
    assert api.svc.hosts.get("h2")["state"] == "confirming" and api.svc.hosts.get("h1")["state"] == "verify_resize"
