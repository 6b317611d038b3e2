"""The `hostflow` command set-up installs, run as a program against the running stack."""
import json
import subprocess

import pytest

from tests.e2e.conftest import REPO

WRAPPER = REPO / ".venv" / "bin" / "hostflow"


def hostflow(*words: str, cwd) -> subprocess.CompletedProcess:
    if not WRAPPER.is_file():
        pytest.fail(f"{WRAPPER} missing: scripts/setup.sh writes it")
    return subprocess.run([str(WRAPPER), *words], capture_output=True, text=True, timeout=60, cwd=cwd)


def operation_count(api) -> int:
    resp = api.get("/v1/operations", params={"limit": 1})
    assert resp.status_code == 200, resp.text
    return resp.json()["total"]


def test_hosts_lists_what_the_api_lists(api, tmp_path):
    done = hostflow("hosts", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["NAME", "ENV", "STATE"]
    ids = {line.split()[-1] for line in lines[1:]}
    assert ids == {h["id"] for h in api.get("/v1/hosts").json()["hosts"]}


def test_help(tmp_path):
    done = hostflow("help", cwd=tmp_path)
    assert done.returncode == 0
    assert "allocate <name> <vcpus>c<ram>g" in done.stdout and "ops watch <id>" in done.stdout


@pytest.mark.parametrize("words", [("allocate", "e2e-cli", "2x4g"), ("reclaim",), ("launch", "e2e-cli")])
def test_a_malformed_command_prints_the_usage_and_starts_nothing(api, tmp_path, words):
    before = operation_count(api)
    done = hostflow(*words, cwd=tmp_path)
    assert done.returncode == 2
    assert "usage:" in done.stderr and "reclaim <name>" in done.stderr
    assert operation_count(api) == before


def test_an_unknown_host_starts_nothing(api, tmp_path):
    before = operation_count(api)
    done = hostflow("reclaim", "e2e-cli-nosuchhost", cwd=tmp_path)
    assert done.returncode == 1 and "no host named 'e2e-cli-nosuchhost'" in done.stderr
    assert operation_count(api) == before


def test_ops_list(api, tmp_path):
    newest = api.get("/v1/operations", params={"limit": 3}).json()["operations"]
    done = hostflow("ops", "list", "--limit", "3", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [op["id"] for op in listed["operations"]][: len(newest)] == [op["id"] for op in newest]
    table = hostflow("ops", "list", "--limit", "3", cwd=tmp_path)
    assert table.returncode == 0 and table.stdout.splitlines()[0].split()[:3] == ["ID", "KIND", "STATE"]
