"""GET /v1/drift and POST /v1/drift/repairs (admin): the drift report and the repair of its
safe findings, on the stand-ins of tests/unit/test_drift.py."""
import ast
import json
from pathlib import Path

import pytest

from api.openapi.document import IDEMPOTENCY, document
from infra.db.tokens import TokenStore
from operations import drift
from operations.requests import DRIFT_KINDS
from tests.fakes import record_only
from tests.unit.test_drift import World

SAFE = ["dns_record_of_gone_host", "leaked_claim", "leaked_lease"]  # of a deleted host h1
UNSAFE = ["domain_without_host", "instance_files_without_host"]  # its domain and files are still on hv1


@pytest.fixture
def world(api):
    """Host h1 deleted on record, and everything of it left in place."""
    record_only(api.svc)
    found = World(api.svc)
    found.delete_host("h1")
    api.world = found
    return api


def get(api, query="", token=None):
    return api.get(f"/v1/drift{query}", headers={"Authorization": f"Bearer {token or api.admin}"})


def post(api, body=None, token=None, raw=None):
    data = raw if raw is not None else (None if body is None else json.dumps(body))
    return api.post("/v1/drift/repairs", data=data, headers={"Authorization": f"Bearer {token or api.admin}",
                                                              "Content-Type": "application/json"})


def kinds(findings: list[dict]) -> list[str]:
    return sorted(f["kind"] for f in findings)


def test_an_admin_gets_the_report(world):
    resp = get(world)
    assert resp.status_code == 200
    assert kinds(resp.json["findings"]) == sorted(SAFE + UNSAFE)
    assert resp.json["complete"]
    assert set(resp.json["sources"]) == {"hosts", "claims", "leases", "dns", "objects", "exports", "node:hv1"}


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_a_token_that_is_not_an_admins_gets_403(world, role):
    token = TokenStore(world.svc.operations.db).create(f"t-{role}", role)
    assert get(world, token=token).status_code == 403
    assert post(world, token=token).status_code == 403
    assert world.svc.operations.list()[0] == []


@pytest.mark.parametrize("query", ["?kind=leaked_claim&kind=leaked_lease", "?kind=leaked_claim,leaked_lease"])
def test_the_kind_filter_shows_only_those_kinds(world, query):
    shown = get(world, query).json
    assert kinds(shown["findings"]) == ["leaked_claim", "leaked_lease"]
    assert shown["counts"] == {"leaked_claim": 1, "leaked_lease": 1}


def test_a_kind_no_finding_has_is_refused(world):
    resp = get(world, "?kind=leaked_claims")
    assert resp.status_code == 422 and resp.json["error"]["code"] == "unknown_kind"
    assert "leaked_claim" in resp.json["error"]["details"]["allowed"]


def test_an_unknown_filter_is_refused(world):
    resp = get(world, "?host=h1")
    assert resp.status_code == 422 and resp.json["error"]["code"] == "unknown_filter"


def test_repairs_are_accepted_with_an_operation_per_safe_finding(world):
    resp = post(world)
    assert resp.status_code == 202
    assert kinds(resp.json["repairs"]) == SAFE and kinds(resp.json["left"]) == UNSAFE
    ops = {op["id"]: op for op in world.svc.operations.list()[0]}
    assert {ops[r["operation"]]["kind"] for r in resp.json["repairs"]} == {"repair_drift"}
    assert {ops[r["operation"]]["source"] for r in resp.json["repairs"]} == {"api"}


def test_repairs_need_no_idempotency_key_and_asked_again_repair_nothing_twice(world):
    """The findings of a host under repair are left out of the report until the repair ends."""
    assert post(world).status_code == post(world).status_code == 202
    assert len(world.svc.operations.list()[0]) == len(SAFE)


def test_repairs_of_chosen_findings_leave_the_others(world):
    claim = next(f for f in get(world).json["findings"] if f["kind"] == "leaked_claim")
    resp = post(world, {"findings": [claim["id"]]})
    assert resp.status_code == 202
    assert [r["finding"] for r in resp.json["repairs"]] == [claim["id"]] and resp.json["left"] == []


def test_an_empty_list_repairs_nothing(world):
    assert post(world, {"findings": []}).json["repairs"] == []
    assert world.svc.operations.list()[0] == []


@pytest.mark.parametrize("body", [
    {"findings": "0123456789abcdef"}, {"findings": ["0123456789ABCDEF"]}, {"findings": ["0123"]},
    {"findings": [1]}, {"findings": None}, {"findings": ["0123456789abcdef"] * 1001}, {"finding": []},
], ids=["not_a_list", "upper_case", "short", "number", "null", "too_many", "unknown_field"])
def test_an_invalid_body_is_refused_and_nothing_is_repaired(world, body):
    resp = post(world, body)
    assert resp.status_code == 422 and resp.json["error"]["code"] == "invalid_request"
    assert world.svc.operations.list()[0] == []


@pytest.mark.parametrize("raw", ["{not json", "[]"], ids=["malformed", "not_an_object"])
def test_a_body_that_is_not_a_json_object_is_malformed(world, raw):
    resp = post(world, raw=raw)
    assert resp.status_code == 400 and resp.json["error"]["code"] == "malformed_json"


def test_the_document_lists_both_calls_without_an_idempotency_key(api):
    paths = api.get("/v1/openapi.json").json["paths"]
    assert paths["/v1/drift"]["get"]["parameters"][0]["schema"]["items"]["enum"] == list(DRIFT_KINDS)
    repairs = paths["/v1/drift/repairs"]["post"]
    assert "202" in repairs["responses"] and IDEMPOTENCY not in repairs.get("parameters", [])
    assert document()["components"]["schemas"]["RepairDrift"]["properties"]["findings"]["maxItems"] == 1000


def reported_kinds() -> set[str]:
    """The kinds the checks of operations/drift give their findings: Finding's first
    argument, or the `kind` it is made of."""
    found = set()
    for path in Path(drift.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Finding" and node.args:
                first = node.args[0]
                found |= {first.value} if isinstance(first, ast.Constant) else set()
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "kind" for t in node.targets):
                found |= {c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant)}
    return found


def test_the_kinds_the_filter_knows_are_the_kinds_the_checks_report():
    assert set(DRIFT_KINDS) == reported_kinds()
