"""Every REST call that starts an operation needs an Idempotency-Key (a client retrying after
a timeout sends it again and gets the same operation, never a second one): without one it is
`400 idempotency_key_required`, with a bad one `400 idempotency_key_invalid`, and nothing is
recorded. A dry run starts nothing and needs none."""
import json
import uuid

import pytest

from api.openapi.document import IDEMPOTENCY, document
from infra.db.hypervisors import HypervisorStore
from infra.db.models import Backup, Host, Volume
from tests.fakes import record_only

ALLOCATE = {"name": "web2", "env": "test", "image": "img", "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}
NODE = {"vcpus": 8, "ram_mb": 8192, "disk_gb": 100}
RATIOS = {"cpu": 1.0, "ram": 1.0, "disk": 1.0}

# (method, path, body, the OpenAPI path): every call that starts an operation, with a body
# it would accept, so that the key is what it is refused for
STARTS = [
    ("POST", "/v1/hosts", ALLOCATE, "/v1/hosts"),
    ("DELETE", "/v1/hosts/h1", None, "/v1/hosts/{id}"),
    ("POST", "/v1/volumes", {"name": "data2", "size_gb": 1, "env": "test"}, "/v1/volumes"),
    ("DELETE", "/v1/volumes/v1", None, "/v1/volumes/{id}"),
    ("POST", "/v1/volumes/v1/extend", {"size_gb": 2}, "/v1/volumes/{id}/extend"),
    ("POST", "/v1/hosts/h1/volumes", {"volume_id": "v1"}, "/v1/hosts/{id}/volumes"),
    ("DELETE", "/v1/hosts/h1/volumes/v2", None, "/v1/hosts/{id}/volumes/{volume_id}"),
    ("POST", "/v1/volumes/v1/backups", {"name": "bk"}, "/v1/volumes/{id}/backups"),
    ("DELETE", "/v1/backups/b1", None, "/v1/backups/{id}"),
    ("POST", "/v1/backups/b1/restore", {}, "/v1/backups/{id}/restore"),
    ("POST", "/v1/hosts/h1/resize", {"flavor": {"vcpus": 2, "ram_mb": 512, "disk_gb": 1}}, "/v1/hosts/{id}/resize"),
    ("POST", "/v1/hosts/h1/resize/confirm", None, "/v1/hosts/{id}/resize/confirm"),
    ("POST", "/v1/hosts/h1/resize/revert", None, "/v1/hosts/{id}/resize/revert"),
    ("POST", "/v1/hosts/h1/actions", {"action": "stop"}, "/v1/hosts/{id}/actions"),
    ("POST", "/v1/hosts/h1/snapshot", {"name": "snap1"}, "/v1/hosts/{id}/snapshot"),
    ("POST", "/v1/hosts/h1/rebuild", {"image": "img"}, "/v1/hosts/{id}/rebuild"),
    ("POST", "/v1/hosts/h1/names", {"fqdn": "www.cloud.internal", "type": "CNAME"}, "/v1/hosts/{id}/names"),
    ("DELETE", "/v1/hosts/h1/names/www.cloud.internal", None, "/v1/hosts/{id}/names/{fqdn}"),
    ("POST", "/v1/hosts/h1/shares", {"name": "data"}, "/v1/hosts/{id}/shares"),
    ("DELETE", "/v1/hosts/h1/shares/data", None, "/v1/hosts/{id}/shares/{name}"),
]
IDS = [f"{m} {doc}" for m, _, _, doc in STARTS]


@pytest.fixture
def records(api):
    """Host h1 (active on hv1), volume v1 (available), v2 (attached to h1), backup b1 of v1;
    a live hv1; operations recorded but never run."""
    HypervisorStore(api.svc.operations.db).register("hv1", "hv.hv1", NODE, RATIOS)
    with api.svc.operations.db.session() as s:
        s.add(Host(id="h1", name="web1", env="test", fqdn="web1.test.cloud.internal", state="active",
                   hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1))
        s.add(Volume(id="v1", name="data", env="test", size_gb=1, state="available", hypervisor="hv1"))
        s.add(Volume(id="v2", name="data-2", env="test", size_gb=1, state="in-use", hypervisor="hv1", host_id="h1"))
        s.add(Backup(id="b1", name="bk-b1", volume_id="v1", state="available", size_gb=1, chunk_size=32 << 20,
                     bucket="hostflow-backups", manifest="backups/v1/b1/manifest.json", stats={}))
    record_only(api.svc)
    return api


def send(api, method, path, body=None, key=None):
    """With `key` as the Idempotency-Key header when it is not None ("" sends an empty one)."""
    headers = {"Authorization": f"Bearer {api.admin}", "Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return api.open(path, method=method, data=None if body is None else json.dumps(body), headers=headers)


def snapshot(api) -> dict:
    """What a refused request must leave as it was."""
    return {"operations": api.svc.operations.list()[0], "queued": list(api.svc.queue.queued),
            "hosts": api.svc.hosts.list(include_deleted=True), "volumes": api.svc.volumes.list(),
            "backups": api.svc.backups.list(None, include_deleted=True)}


def assert_refused(resp, code: str):
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.content_type == "application/json"
    error = resp.json["error"]
    assert error["code"] == code and "Idempotency-Key" in error["message"]


@pytest.mark.parametrize(("method", "path", "body", "doc"), STARTS, ids=IDS)
def test_a_call_that_starts_an_operation_without_a_key_is_400_and_records_nothing(records, method, path, body, doc):
    before = snapshot(records)
    assert_refused(send(records, method, path, body), "idempotency_key_required")
    assert snapshot(records) == before
    assert records.svc.operations.list()[0] == []


@pytest.mark.parametrize("key", ["", "   "], ids=["empty", "blank"])
@pytest.mark.parametrize(("method", "path", "body", "doc"), STARTS[:3], ids=IDS[:3])
def test_an_empty_key_is_no_key(records, method, path, body, doc, key):
    assert_refused(send(records, method, path, body, key=key), "idempotency_key_required")
    assert records.svc.operations.list()[0] == []


@pytest.mark.parametrize("key", ["k" * 256, "a\x01b", "a\tb", "a\x7fb"], ids=["too_long", "soh", "tab", "del"])
@pytest.mark.parametrize(("method", "path", "body", "doc"), STARTS[:3], ids=IDS[:3])
def test_a_key_too_long_or_with_a_control_character_is_invalid(records, method, path, body, doc, key):
    before = snapshot(records)
    assert_refused(send(records, method, path, body, key=key), "idempotency_key_invalid")
    assert snapshot(records) == before


def test_a_key_of_255_characters_is_taken(records):
    resp = send(records, "POST", "/v1/hosts", ALLOCATE, key="k" * 255)
    assert resp.status_code == 202, resp.get_data(as_text=True)
    assert records.svc.operations.get(resp.json["operation"]["id"])["idempotency_key"] == "k" * 255


ACCEPTED = [s for s in STARTS if s[3] in {"/v1/hosts", "/v1/hosts/{id}", "/v1/volumes", "/v1/hosts/{id}/volumes",
                                          "/v1/hosts/{id}/resize", "/v1/volumes/{id}/backups"}]


@pytest.mark.parametrize(("method", "path", "body", "doc"), ACCEPTED, ids=[f"{m} {d}" for m, _, _, d in ACCEPTED])
def test_with_a_key_it_is_accepted_and_its_retry_is_the_same_operation(records, method, path, body, doc):
    key = str(uuid.uuid4())
    first = send(records, method, path, body, key=key)
    assert first.status_code == 202, first.get_data(as_text=True)
    again = send(records, method, path, body, key=key)
    assert again.status_code == 202, again.get_data(as_text=True)
    assert again.json["operation"]["id"] == first.json["operation"]["id"]
    ops = records.svc.operations.list()[0]
    assert len(ops) == 1 and ops[0]["source"] == "api" and records.svc.queue.queued == [ops[0]["id"]]


def test_a_host_dry_run_needs_no_key(records, monkeypatch):
    monkeypatch.setattr(records.svc.planner, "allocate", lambda body: {"dry_run": True, "steps": [], "name": body.name})
    monkeypatch.setattr(records.svc.planner, "reclaim", lambda host, doomed=None: {"dry_run": True, "steps": []})
    created = send(records, "POST", "/v1/hosts?dry_run=true", ALLOCATE)
    assert created.status_code == 200 and created.json == {"dry_run": True, "steps": [], "name": "web2"}
    reclaimed = send(records, "DELETE", "/v1/hosts/h1?dry_run=true")
    assert reclaimed.status_code == 200 and reclaimed.json["dry_run"] is True
    assert records.svc.operations.list()[0] == [] and records.svc.hosts.get("h1")["state"] == "active"


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/v1/volumes", {"name": "data2", "size_gb": 1, "env": "test"}),
    ("DELETE", "/v1/volumes/v1", None),
    ("POST", "/v1/volumes/v1/extend", {"size_gb": 2}),
    ("POST", "/v1/hosts/h1/volumes", {"volume_id": "v1"}),
    ("DELETE", "/v1/hosts/h1/volumes/v2", None),
])
def test_a_volume_dry_run_needs_no_key(records, monkeypatch, method, path, body):
    monkeypatch.setattr(records.svc.planner, "volume", lambda kind, ctx: {"dry_run": True, "kind": kind, "steps": []})
    before = snapshot(records)
    resp = send(records, method, f"{path}?dry_run=true", body)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["dry_run"] is True
    assert snapshot(records) == before


def test_a_dry_run_false_is_no_dry_run_and_needs_a_key(records):
    assert_refused(send(records, "POST", "/v1/volumes?dry_run=false", {"name": "d", "size_gb": 1, "env": "test"}),
                   "idempotency_key_required")


def operations_with(parameter: dict) -> set[str]:
    return {f"{method.upper()} {path}" for path, item in document()["paths"].items()
            for method, op in item.items() if method != "parameters" and parameter in op.get("parameters", [])}


def test_the_document_requires_the_key_on_exactly_the_calls_that_start_an_operation():
    assert IDEMPOTENCY["required"] is True
    assert operations_with(IDEMPOTENCY) == set(IDS)


def test_every_call_requiring_the_key_documents_its_400():
    paths = document()["paths"]
    for name in IDS:
        method, path = name.split(" ", 1)
        described = paths[path][method.lower()]["responses"].get("400", {}).get("description", "")
        assert "idempotency_key_required" in described and "idempotency_key_invalid" in described, name


def in_verify_resize(api, host_id="h1"):
    api.svc.operations.create("resize_host", f"k-resize-{host_id}", {
        "flavor": {"vcpus": 2, "ram_mb": 512, "disk_gb": 1}, "from": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}},
        host_id=host_id)
    with api.svc.operations.db.session() as s:
        host = s.get(Host, host_id)
        host.state, host.vcpus, host.ram_mb = "verify_resize", 2, 512


@pytest.mark.parametrize(("answer", "kind"), [("confirm", "confirm_resize"), ("revert", "revert_resize")])
def test_a_retried_confirm_or_revert_is_the_same_operation(records, answer, kind):
    """The first one moved the host out of verify_resize: its retry is still answered, not 409."""
    in_verify_resize(records)
    first = send(records, "POST", f"/v1/hosts/h1/resize/{answer}", key="k-answer")
    again = send(records, "POST", f"/v1/hosts/h1/resize/{answer}", key="k-answer")
    assert first.status_code == again.status_code == 202, again.get_data(as_text=True)
    assert again.json["operation"]["id"] == first.json["operation"]["id"]
    assert [op["kind"] for op in records.svc.operations.list()[0]].count(kind) == 1


def test_a_confirm_key_reused_for_a_revert_or_another_host_is_refused(records):
    in_verify_resize(records)
    assert send(records, "POST", "/v1/hosts/h1/resize/confirm", key="k-answer").status_code == 202
    reused = send(records, "POST", "/v1/hosts/h1/resize/revert", key="k-answer")
    assert reused.status_code == 422 and reused.json["error"]["code"] == "idempotency_key_reused"
    with records.svc.operations.db.session() as s:
        s.add(Host(id="h2", name="web2", env="test", fqdn="web2.test.cloud.internal", state="active",
                   hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1))
    in_verify_resize(records, "h2")
    other = send(records, "POST", "/v1/hosts/h2/resize/confirm", key="k-answer")
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    assert records.svc.hosts.get("h2")["state"] == "verify_resize"
