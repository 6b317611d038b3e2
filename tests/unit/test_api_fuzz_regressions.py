"""Found while fuzzing the API (tests/e2e/test_api_fuzz.py and probes beside it): requests
answered 500, each now a 4xx JSON error with a stable code that changes nothing; answers
the document left out."""
import pytest

from api.openapi.document import DRY_RUN, IDEMPOTENCY, document
from infra.db.models import Volume
from infra.db.tokens import TokenStore

DEEP = "[" * 100_000  # deeper than json.loads can recurse
LONG_INT = '{"name": ' + "1" * 5000 + "}"  # past Python's 4300-digit int conversion limit


def send(api, method, path, raw=None, token=None):
    headers = {"Authorization": f"Bearer {token or api.admin}", "Content-Type": "application/json"}
    return api.open(path, method=method, data=raw, headers=headers)


def assert_error(resp, status: int, code: str):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.json["error"]["code"] == code


@pytest.mark.parametrize("raw", [DEEP, LONG_INT], ids=["deep_nesting", "long_integer"])
def test_a_body_json_loads_refuses_is_malformed_json(api, raw):
    assert_error(send(api, "POST", "/v1/hosts", raw), 400, "malformed_json")
    assert api.svc.hosts.list(include_deleted=True) == []


def test_a_deeply_nested_body_from_a_project_scoped_token_is_malformed_json(api):
    operator = TokenStore(api.svc.operations.db).create("op", "operator", ["default"])
    assert_error(send(api, "POST", "/v1/hosts", DEEP, operator), 400, "malformed_json")


@pytest.mark.parametrize("limit", ["%C2%B2", "%D9%A1", "1" * 5000])  # "²" and Arabic-Indic "١" pass str.isdigit
def test_an_audit_limit_that_is_not_an_ascii_number_is_invalid(api, limit):
    assert_error(send(api, "GET", f"/v1/audit?limit={limit}"), 422, "invalid_request")


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00%2B01:00", "9999-12-31T23:59:59-01:00"])
def test_an_audit_moment_outside_the_years_utc_can_hold_is_invalid(api, moment):
    resp = send(api, "GET", f"/v1/audit?since={moment}")
    assert_error(resp, 422, "invalid_request")
    assert "since" in resp.json["error"]["message"]


def operations_with(parameter: dict):
    for path, item in document()["paths"].items():
        for method, op in item.items():
            if method != "parameters" and parameter in op.get("parameters", []):
                yield f"{method.upper()} {path}", op["responses"]


def test_every_call_taking_dry_run_documents_its_200_plan():
    assert {name for name, answers in operations_with(DRY_RUN) if "200" not in answers} == set()


def test_every_call_taking_an_idempotency_key_documents_the_422_for_a_reused_one():
    missing = {name for name, answers in operations_with(IDEMPOTENCY)
               if "idempotency_key_reused" not in answers.get("422", {}).get("description", "")}
    assert missing == set()


def test_a_volume_dry_run_answers_the_200_the_document_gives(api):
    with api.svc.operations.db.session() as s:
        s.add(Volume(id="v1", name="data", env="test", size_gb=1, state="available", hypervisor=""))
    resp = send(api, "DELETE", "/v1/volumes/v1?dry_run=true")
    assert resp.status_code == 200 and resp.json["dry_run"] is True
    assert "200" in document()["paths"]["/v1/volumes/{id}"]["delete"]["responses"]
