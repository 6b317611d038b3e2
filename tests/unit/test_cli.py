"""The `hostflow` command's requests, against a stub HTTP session: what it asks of the API
for each command, what it prints and its exit status."""
import io
import json

import pytest

import cli.main as cli
from cli import watch as cli_watch
from cli.client import Client, read_config
from cli.watch import LiveDisplay, LogDisplay

WEB1 = {"id": "h-1", "name": "web1", "env": "test", "project": "default", "state": "active", "hypervisor": "hv2",
        "fqdn": "web1.test.cloud.internal", "addresses": [{"network": "vm", "address": "10.0.0.5"}],
        "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 3}}
WEB1_PROD = {**WEB1, "id": "h-2", "env": "prod", "hypervisor": "hv1"}
DB1 = {**WEB1, "id": "h-3", "name": "db1"}


class Response:
    def __init__(self, status: int, body: dict):
        self.status_code, self.body = status, body
        self.content = json.dumps(body).encode()

    def json(self):
        return self.body


class StubSession:
    """Answers from a table of (method, path) -> body or a list of bodies (one per call, the last repeated)."""

    def __init__(self, answers: dict):
        self.answers, self.headers, self.requests = answers, {}, []

    def request(self, method, url, json=None, timeout=None, params=None, headers=None):
        path = url.removeprefix("http://api")
        self.requests.append((method, path, json, params, headers))
        answer = self.answers.get((method, path))
        if answer is None:
            return Response(404, {"error": {"code": "not_found", "message": f"{method} {path}"}})
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        status, body = answer if isinstance(answer, tuple) else (200, answer)
        return Response(status, body)

    def calls(self):
        return [(method, path) for method, path, *_ in self.requests]


def accepted(op_id: str, **more) -> tuple[int, dict]:
    return 202, {"operation": {"id": op_id, "state": "queued", "url": f"/v1/operations/{op_id}"}, **more}


def op(op_id: str, state: str, kind="allocate_host", steps=(), error=None) -> dict:
    return {"operation": {"id": op_id, "kind": kind, "state": state, "steps": list(steps), "error": error}}


def step(name: str, state: str, progress=None, direction="do") -> dict:
    return {"name": name, "direction": direction, "node": "hv1", "state": state, "note": None, "progress": progress}


@pytest.fixture
def stub(monkeypatch):
    session = StubSession({("GET", "/v1/hosts"): {"hosts": [WEB1, WEB1_PROD, DB1]}})
    monkeypatch.setattr(cli, "connect", lambda: cli.Client("http://api", "t0ken", session=session))
    monkeypatch.setattr(cli_watch, "INTERVAL", 0)
    return session


def hostflow(*words: str) -> int:
    return cli.main(list(words))


def test_allocate_posts_the_host_with_a_fresh_idempotency_key(stub, capsys):
    stub.answers[("POST", "/v1/hosts")] = accepted("op-1", host={"id": "h-9"})
    assert hostflow("allocate", "web2", "2c4g", "env=test") == 0
    method, path, body, _, headers = stub.requests[0]
    assert (method, path, body) == ("POST", "/v1/hosts", {"name": "web2", "env": "test", "image": "hostflow-test",
                                                          "flavor": {"vcpus": 2, "ram_mb": 4096, "disk_gb": 1}})
    assert len(headers["Idempotency-Key"]) == 36
    assert stub.headers["Authorization"] == "Bearer t0ken"
    assert capsys.readouterr().out == "operation op-1 queued: /v1/operations/op-1 (host h-9)\n"


def test_reclaim_resolves_the_name_within_the_env(stub):
    stub.answers[("DELETE", "/v1/hosts/h-2")] = accepted("op-2")
    assert hostflow("reclaim", "web1", "env=prod") == 0
    assert stub.calls() == [("GET", "/v1/hosts"), ("DELETE", "/v1/hosts/h-2")]


def test_a_name_in_two_envs_is_refused_without_env(stub, capsys):
    assert hostflow("reclaim", "web1") == 1
    assert stub.calls() == [("GET", "/v1/hosts")]
    assert "2 hosts are named 'web1' (envs prod, test): add env=<env>" in capsys.readouterr().err


def test_an_unknown_name_changes_nothing(stub, capsys):
    assert hostflow("snapshot", "web9", "s1") == 1
    assert stub.calls() == [("GET", "/v1/hosts")]
    assert "no host named 'web9'" in capsys.readouterr().err


def test_a_host_id_works_as_its_name(stub):
    stub.answers[("POST", "/v1/hosts/h-3/snapshot")] = accepted("op-3", image={"id": "i-1"})
    assert hostflow("snapshot", "h-3", "before") == 0
    assert stub.requests[-1][:3] == ("POST", "/v1/hosts/h-3/snapshot", {"name": "before"})


def test_resize_keeps_the_hosts_disk(stub):
    stub.answers[("POST", "/v1/hosts/h-3/resize")] = accepted("op-4")
    assert hostflow("resize", "db1", "2c1g") == 0
    assert stub.requests[-1][2] == {"flavor": {"vcpus": 2, "ram_mb": 1024, "disk_gb": 3}}


def test_attach_a_new_volume_waits_for_it_then_attaches_it(stub, capsys):
    stub.answers[("POST", "/v1/volumes")] = accepted("op-v", volume={"id": "v-7"})
    stub.answers[("GET", "/v1/operations/op-v")] = [op("op-v", "running", "create_volume"),
                                                    op("op-v", "succeeded", "create_volume")]
    stub.answers[("POST", "/v1/hosts/h-3/volumes")] = accepted("op-a", volume={"id": "v-7"})
    assert hostflow("attach", "db1", "10g") == 0
    assert stub.calls() == [("GET", "/v1/hosts"), ("POST", "/v1/volumes"), ("GET", "/v1/operations/op-v"),
                            ("GET", "/v1/operations/op-v"), ("POST", "/v1/hosts/h-3/volumes")]
    assert stub.requests[1][2] == {"name": "db1-data", "size_gb": 10, "env": "test", "project": "default",
                                   "hypervisor": "hv2"}
    assert stub.requests[-1][2] == {"volume_id": "v-7"}
    assert capsys.readouterr().out.endswith("operation op-a queued: /v1/operations/op-a (volume v-7)\n")


def test_attach_stops_when_the_volume_was_not_created(stub, capsys):
    stub.answers[("POST", "/v1/volumes")] = accepted("op-v", volume={"id": "v-7"})
    stub.answers[("GET", "/v1/operations/op-v")] = op("op-v", "failed", "create_volume",
                                                      error={"code": "no_capacity", "message": "hv2 is full"})
    assert hostflow("attach", "db1", "10g") == 1
    assert ("POST", "/v1/hosts/h-3/volumes") not in stub.calls()
    assert "create_volume op-v ended failed: hv2 is full; nothing more was done" in capsys.readouterr().err


def test_detach_resolves_the_volume_among_the_hosts(stub):
    stub.answers[("GET", "/v1/volumes")] = {"volumes": [
        {"id": "v-1", "name": "data", "host_id": "h-1"}, {"id": "v-2", "name": "data", "host_id": "h-3"}]}
    stub.answers[("DELETE", "/v1/hosts/h-3/volumes/v-2")] = accepted("op-d", volume={"id": "v-2"})
    assert hostflow("detach", "db1", "data") == 0
    assert stub.calls()[-1] == ("DELETE", "/v1/hosts/h-3/volumes/v-2")


def test_an_api_refusal_exits_1_with_its_code(stub, capsys):
    stub.answers[("POST", "/v1/hosts/h-3/names")] = (409, {"error": {"code": "name_taken", "message": "taken"}})
    assert hostflow("dns", "db1", "shop.test.cloud.internal") == 1
    assert "error 409 name_taken: taken" in capsys.readouterr().err


@pytest.mark.parametrize("words", [["allocate", "web1"], ["reclaim"], ["launch", "web1"], [],
                                   ["attach", "web1", "10"], ["hosts", "prod"]])
def test_malformed_commands_print_the_usage_and_call_nothing(stub, capsys, words):
    assert hostflow(*words) == 2
    assert stub.requests == []
    err = capsys.readouterr().err
    assert "usage:" in err and "allocate <name> <vcpus>c<ram>g" in err


def test_help_needs_no_api(stub, capsys):
    assert hostflow("help") == 0
    out = capsys.readouterr().out
    assert "reclaim <name>" in out and "ops watch <id>" in out
    assert stub.requests == []


def test_hosts_is_a_table_filtered_by_env(stub, capsys):
    assert hostflow("hosts", "env=prod") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "ENV", "STATE", "HYPERVISOR", "FLAVOR", "ADDRESSES", "FQDN", "ID"]
    assert lines[1].split() == ["web1", "prod", "active", "hv1", "1c256m", "disk=3g", "10.0.0.5",
                                "web1.test.cloud.internal", "h-2"]
    assert len(lines) == 2


def test_json_prints_the_answer(stub, capsys):
    assert hostflow("hosts", "--json") == 0
    assert [h["id"] for h in json.loads(capsys.readouterr().out)["hosts"]] == ["h-1", "h-2", "h-3"]


def test_wait_follows_the_operation_and_exits_1_unless_it_succeeds(stub, capsys):
    stub.answers[("DELETE", "/v1/hosts/h-3")] = accepted("op-r")
    stub.answers[("GET", "/v1/operations/op-r")] = op("op-r", "rolled_back", "reclaim_host",
                                                      steps=[step("undefine_domain", "failed")],
                                                      error={"code": "libvirt_error", "message": "boom"})
    assert hostflow("reclaim", "db1", "--wait") == 1
    out = capsys.readouterr().out
    assert "reclaim_host op-r: rolled_back" in out and "error: libvirt_error: boom" in out


def test_status_shows_the_steps(stub, capsys):
    stub.answers[("GET", "/v1/operations/op-1")] = op("op-1", "running", steps=[step("claim_capacity", "succeeded")])
    assert hostflow("status", "op-1") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "allocate_host op-1: running"
    assert out[2].split() == ["claim_capacity", "hv1", "succeeded", "-"]


def test_ops_list_passes_the_filters(stub, capsys):
    stub.answers[("GET", "/v1/operations")] = {"total": 7, "operations": [
        {"id": "op-1", "kind": "allocate_host", "state": "failed", "created": "2025-01-01T00:00:00Z",
         "requester": "admin", "host_id": "h-1", "error": {"code": "no_capacity", "message": "full"}}]}
    assert hostflow("ops", "list", "--state", "failed", "--limit", "1") == 0
    assert stub.requests[0][3] == {"state": "failed", "limit": 1}
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["op-1", "allocate_host", "failed", "2025-01-01T00:00:00Z", "admin", "h-1",
                                "no_capacity"]
    assert lines[-1] == "(1 of 7 operations)"


def test_ops_show_and_watch(stub, capsys):
    stub.answers[("GET", "/v1/operations/op-1")] = [
        op("op-1", "running", "backup_volume", [step("copy_chunks", "running",
                                                      {"done_bytes": 3 << 20, "total_bytes": 12 << 20,
                                                       "percent": 25.0})]),
        op("op-1", "succeeded", "backup_volume", [step("copy_chunks", "succeeded")])]
    assert hostflow("ops", "watch", "op-1") == 0
    out = capsys.readouterr().out
    assert "[######..................]  25.0%  3 of 12 MiB" in out
    assert out.splitlines()[-1].split() == ["copy_chunks", "hv1", "succeeded"]
    assert hostflow("ops", "show", "op-1", "--json") == 0
    assert json.loads(capsys.readouterr().out)["operation"]["state"] == "succeeded"


def test_ops_watch_exits_1_when_the_operation_fails(stub):
    stub.answers[("GET", "/v1/operations/op-1")] = op("op-1", "failed")
    assert hostflow("ops", "watch", "op-1") == 1


def test_the_log_display_prints_changes_only():
    out = io.StringIO()
    display = LogDisplay(out)
    running = op("o", "running", steps=[step("copy", "running", {"done_bytes": 1, "total_bytes": 100,
                                                                 "percent": 1.0})])["operation"]
    display.show(running)
    display.show(running)
    display.show({**running, "steps": [step("copy", "running", {"done_bytes": 5, "total_bytes": 100,
                                                                "percent": 5.0})]})
    assert len(out.getvalue().splitlines()) == 3  # header, step, one progress line: 1% and 5% share a tenth
    display.show({**running, "steps": [step("copy", "running", {"done_bytes": 15, "total_bytes": 100,
                                                                "percent": 15.0})]})
    assert len(out.getvalue().splitlines()) == 4


def test_the_live_display_redraws_its_lines():
    out = io.StringIO()
    display = LiveDisplay(out)
    display.show(op("o", "running", steps=[step("a", "running")])["operation"])
    display.show(op("o", "succeeded", steps=[step("a", "succeeded")])["operation"])
    first, second = out.getvalue().split("\x1b[2F\x1b[J")
    assert first.count("\n") == 2 and "succeeded" in second


def test_the_resource_subcommands_work(stub, capsys):
    stub.answers[("DELETE", "/v1/hosts/h-1")] = accepted("op-1")
    assert hostflow("delete", "h-1", "--delete-volumes") == 0
    assert stub.requests[0][:3] == ("DELETE", "/v1/hosts/h-1", {"delete_volumes": True})
    assert json.loads(capsys.readouterr().out)["operation"]["id"] == "op-1"


def test_credentials_from_the_config_file(tmp_path, monkeypatch):
    rc = tmp_path / "openrc"
    rc.write_text("# a comment\nexport HOSTFLOW_API_URL=http://127.0.0.1:8770\nexport HOSTFLOW_TOKEN='abc def'\n"
                  "export HOSTFLOW_ENV_TRAFFIC_CLASSES=e2enet=vm\\,storage\n")
    assert read_config(rc)["HOSTFLOW_TOKEN"] == "abc def"
    monkeypatch.delenv("HOSTFLOW_API_URL", raising=False)
    monkeypatch.delenv("HOSTFLOW_TOKEN", raising=False)
    monkeypatch.setenv("HOSTFLOW_CONFIG", str(rc))
    client = cli.connect()
    assert isinstance(client, Client) and client.url == "http://127.0.0.1:8770"
    assert client.session.headers["Authorization"] == "Bearer abc def"


def test_attach_with_json_prints_one_document(stub, capsys):
    stub.answers[("POST", "/v1/volumes")] = accepted("op-v", volume={"id": "v-7"})
    stub.answers[("GET", "/v1/operations/op-v")] = op("op-v", "succeeded", "create_volume")
    stub.answers[("POST", "/v1/hosts/h-3/volumes")] = accepted("op-a", volume={"id": "v-7"})
    assert hostflow("attach", "db1", "1g", "--json") == 0
    answers = json.loads(capsys.readouterr().out)
    assert [a["operation"]["id"] for a in answers] == ["op-v", "op-a"]


def test_dash_h_on_a_verb_is_the_help(stub, capsys):
    assert hostflow("allocate", "-h") == 0
    assert "allocate <name>" in capsys.readouterr().out and stub.requests == []


def test_ops_cancel_asks_the_api_to_cancel(stub, capsys):
    stub.answers[("POST", "/v1/operations/op-7/cancel")] = (202, op("op-7", "running"))
    assert hostflow("ops", "cancel", "op-7") == 0
    assert stub.calls()[-1] == ("POST", "/v1/operations/op-7/cancel")
    assert "op-7: running" in capsys.readouterr().out


def test_ops_reject_sends_the_note(stub):
    stub.answers[("POST", "/v1/operations/op-8/reject")] = (202, op("op-8", "queued"))
    assert hostflow("ops", "reject", "op-8", "--note", "not in prod") == 0
    assert stub.requests[-1][2] == {"note": "not in prod"}


def test_an_answer_the_api_refuses_exits_non_zero(stub, capsys):
    stub.answers[("POST", "/v1/operations/op-9/approve")] = (409, {"error": {"code": "not_awaiting_approval",
                                                                               "message": "op-9 is succeeded"}})
    assert hostflow("ops", "approve", "op-9") == 1
    assert "not_awaiting_approval" in capsys.readouterr().err


def test_tokens_create_prints_the_secret_once(stub, capsys):
    stub.answers[("POST", "/v1/tokens")] = (201, {"token": {"id": "t1", "name": "ci", "role": "operator",
                                                            "projects": ["web"], "secret": "s3cr3t"}})
    assert hostflow("tokens", "create", "ci", "operator", "--project", "web") == 0
    assert stub.requests[-1][2] == {"name": "ci", "role": "operator", "projects": ["web"]}
    assert "s3cr3t" in capsys.readouterr().out


def test_tokens_list_is_a_table(stub, capsys):
    stub.answers[("GET", "/v1/tokens")] = {"tokens": [{"id": "t1", "name": "ci", "role": "viewer", "projects": [],
                                                       "created": "2026-01-01", "revoked": None}]}
    assert hostflow("tokens", "list") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["ID", "NAME", "ROLE", "PROJECTS", "CREATED", "REVOKED"]
    assert "viewer" in out
