"""`hostflow drift`: the CLI against the API app in this process (its requests answered by
Flask's test client), on the stand-ins of tests/unit/test_drift.py. It exits 0 when
nothing drifted, 1 when something did or the API refused, 2 on a usage error."""
import json

import pytest

import cli.main as cli
from infra.db.tokens import TokenStore
from tests.fakes import record_only
from tests.unit.test_drift import World


class Answer:
    """A requests.Response, as far as the CLI reads one."""

    def __init__(self, resp):
        self.status_code, self.content = resp.status_code, resp.data
        self._json = resp.get_json(silent=True)

    def json(self):
        return self._json


class AppSession:
    """A requests.Session whose requests the app answers."""

    def __init__(self, client):
        self.client, self.headers, self.sent = client, {}, []

    def request(self, method, url, json=None, timeout=None, params=None, headers=None):
        path = url.removeprefix("http://api")
        self.sent.append((method, path, json, params))
        return Answer(self.client.open(path, method=method, json=json, query_string=params,
                                       headers={**self.headers, **(headers or {})}))


@pytest.fixture
def world(api, monkeypatch):
    """The CLI logged in as admin, on a world as recorded (nothing drifted)."""
    record_only(api.svc)
    api.world, api.session = World(api.svc), AppSession(api)
    api.token = api.admin
    monkeypatch.setattr(cli, "connect", lambda: cli.Client("http://api", api.token, session=api.session))
    return api


def hostflow(*words: str) -> int:
    return cli.main(list(words))


def test_nothing_drifted_exits_0(world, capsys):
    assert hostflow("drift") == 0
    assert capsys.readouterr().out.strip() == "0 findings, 0 safe; every source read"


def test_findings_are_one_line_each_grouped_by_kind_and_exit_1(world, capsys):
    world.world.delete_host("h1")
    assert hostflow("drift") == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["KIND", "SUBJECT", "EVIDENCE", "SAFE", "REPAIR", "OR", "SUGGESTION"]
    assert [line.split()[0] for line in lines[1:-1]] == ["dns_record_of_gone_host", "domain_without_host",
                                                         "instance_files_without_host", "leaked_claim",
                                                         "leaked_lease"]
    claim = next(line for line in lines if line.startswith("leaked_claim"))
    assert "claim of host h1 on hv1" in claim and "host h1 is deleted" in claim
    assert claim.endswith("safe: release_capacity")
    assert lines[-1] == "5 findings, 3 safe (hostflow drift --repair); every source read"


def test_a_source_not_read_is_named_and_exits_1(world, capsys):
    world.world.unreachable = True
    assert hostflow("drift") == 1
    assert capsys.readouterr().out.strip().endswith(
        "sources not read: node:hv1 (queue_unavailable: no live worker serves hv.hv1)")


def test_json_prints_the_apis_answer(world, capsys):
    world.world.delete_host("h1")
    assert hostflow("drift", "--json") == 1
    answer = json.loads(capsys.readouterr().out)
    assert answer["counts"] == {"leaked_claim": 1, "leaked_lease": 1, "dns_record_of_gone_host": 1,
                                "domain_without_host": 1, "instance_files_without_host": 1}


def test_kind_asks_the_api_for_those_kinds_only(world, capsys):
    world.world.delete_host("h1")
    assert hostflow("drift", "--kind", "leaked_claim", "--kind", "leaked_lease", "--json") == 1
    assert world.session.sent == [("GET", "/v1/drift", None, {"kind": "leaked_claim,leaked_lease"})]
    assert sorted(json.loads(capsys.readouterr().out)["counts"]) == ["leaked_claim", "leaked_lease"]


def test_repair_prints_each_operation_and_what_is_left_for_an_operator(world, capsys):
    world.world.delete_host("h1")
    assert hostflow("drift", "--repair") == 1
    out = capsys.readouterr().out.splitlines()
    repairs = {op["id"]: op for op in world.svc.operations.list()[0]}
    assert out[0].split() == ["OPERATION", "STATE", "KIND", "SUBJECT", "FINDING"]
    assert {line.split()[0] for line in out[1:4]} == set(repairs)
    assert out[4] == "left for an operator:"
    assert [line.split()[0] for line in out[6:8]] == ["domain_without_host", "instance_files_without_host"]
    assert out[-1] == "3 repairs submitted, 2 findings left for an operator; every source read"


def test_repair_of_a_kind_sends_the_ids_of_its_findings(world, capsys):
    world.world.delete_host("h1")
    assert hostflow("drift", "--repair", "--kind", "leaked_claim") == 0
    claim = world.session.sent[1][2]["findings"]
    assert world.session.sent[1][:2] == ("POST", "/v1/drift/repairs") and len(claim) == 1
    [op] = world.svc.operations.list()[0]
    assert op["params"]["finding"] == claim[0] and op["params"]["function"] == "release_capacity"
    assert capsys.readouterr().out.splitlines()[-1].startswith("1 repair submitted, 0 findings left")


def test_a_finding_whose_repair_failed_gets_a_new_repair_when_asked_again(world, capsys):
    world.world.delete_host("h1")
    assert hostflow("drift", "--repair", "--kind", "leaked_claim") == 0
    [op] = world.svc.operations.list()[0]
    world.svc.operations.transition(op["id"], {"queued"}, "failed", error_code="storage_error", error_message="x")
    capsys.readouterr()
    assert hostflow("drift", "--repair", "--kind", "leaked_claim") == 0
    ops = world.svc.operations.list()[0]
    assert len(ops) == 2 and {o["state"] for o in ops} == {"failed", "queued"}


def test_a_token_that_is_not_an_admins_exits_1_with_the_apis_code(world, capsys):
    world.token = TokenStore(world.svc.operations.db).create("op", "operator")
    assert hostflow("drift") == 1
    assert "error 403 forbidden" in capsys.readouterr().err


def test_a_usage_error_exits_2_and_asks_nothing(world):
    with pytest.raises(SystemExit) as exited:
        hostflow("drift", "--repiar")
    assert exited.value.code == 2 and world.session.sent == []
