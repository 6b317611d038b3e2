"""Each service of the stack gets only the secrets of its role (scripts/stack.sh
withheld_vars; docs/operations.md#each-services-environment).

The processes are found as stack.sh finds them: the pid in .hostflow/run/<service>.pid,
whose /proc/<pid>/cmdline must match the service. That the hypervisor workers still
work without them is what the allocate tests show."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUN = REPO / ".hostflow" / "run"

CREDENTIALS = ("HOSTFLOW_DNS_TSIG_SECRET", "HOSTFLOW_JIRA_API_TOKEN", "HOSTFLOW_SERVICENOW_PASSWORD")
INBOUND = ("HOSTFLOW_SLACK_SIGNING_SECRET", "HOSTFLOW_MATTERMOST_TOKEN", "HOSTFLOW_UI_SESSION_SECRET")


def service_pid(name: str, match: str) -> int:
    pid_file = RUN / f"{name}.pid"
    if not pid_file.exists():
        pytest.fail(f"no {pid_file}: is the stack up (scripts/stack.sh up)?")
    pid = int(pid_file.read_text().split()[0])
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    assert match in cmdline, f"pid {pid} of {name} is not it: {cmdline}"
    return pid


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.decode().split("=", 1) for item in raw.split(b"\0") if b"=" in item)


@pytest.mark.parametrize("service", ["worker-hv1", "worker-hv2"])
def test_hypervisor_worker_has_no_credentials(service):
    pid = service_pid(service, "workers.process --role hv")
    env = environ(pid)
    present = sorted(k for k in env if k in (*CREDENTIALS, *INBOUND, "HOSTFLOW_DATABASE_URL")
                     or k.startswith(("HOSTFLOW_WEBHOOK_SECRET_", "PREFECT_")))
    assert not present, f"{service} (pid {pid}) was started with {present}"
    # what it does need is there
    assert env.get("HOSTFLOW_REDIS_URL") and env.get("HOSTFLOW_STATE_DIR"), sorted(env)


@pytest.mark.parametrize("service", ["worker-hv1", "worker-hv2"])
def test_hypervisor_worker_opens_no_database(service):
    pid = service_pid(service, "workers.process --role hv")
    opened = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.endswith((".db", ".db-wal", ".db-shm", ".sqlite")):
            opened.append(target)
    assert not opened, f"{service} has database files open: {opened}"


def test_api_has_no_dns_or_ticketing_credentials():
    env = environ(service_pid("api", "gunicorn"))
    present = sorted(k for k in CREDENTIALS if k in env)
    assert not present, f"the API was started with {present}"
    assert env.get("HOSTFLOW_DATABASE_URL") and env.get("HOSTFLOW_WEBHOOK_SECRET_GENERIC")


@pytest.mark.parametrize("service", ["worker-flows", "deployments"])
def test_flow_runners_have_no_dns_ticketing_or_inbound_secrets(service):
    env = environ(service_pid(service, "workers"))
    present = sorted(k for k in env if k in (*CREDENTIALS, *INBOUND) or k.startswith("HOSTFLOW_WEBHOOK_SECRET_"))
    assert not present, f"{service} was started with {present}"
    assert env.get("HOSTFLOW_DATABASE_URL") and env.get("PREFECT_API_URL")


def test_control_worker_has_no_inbound_secrets():
    env = environ(service_pid("worker-control", "workers.process --role control"))
    present = sorted(k for k in env if k in INBOUND or k.startswith("HOSTFLOW_WEBHOOK_SECRET_"))
    assert not present, f"the control worker was started with {present}"
    assert env.get("HOSTFLOW_DNS_TSIG_SECRET") and env.get("HOSTFLOW_DATABASE_URL")


@pytest.mark.parametrize("service,match", [("redis", "redis-server"), ("named", "named")])
def test_other_daemons_have_no_prefect_auth_string(service, match):
    env = environ(service_pid(service, match))
    assert not {"PREFECT_API_AUTH_STRING", "PREFECT_SERVER_API_AUTH_STRING"} & set(env)


def test_the_prefect_server_has_its_auth_string():
    env = environ(service_pid("prefect", "prefect"))
    assert env.get("PREFECT_SERVER_API_AUTH_STRING") == os.environ["PREFECT_API_AUTH_STRING"]


@pytest.mark.parametrize("service,match", [("redis", "redis-server"), ("prefect", "prefect"), ("named", "named")])
def test_third_party_daemons_have_no_hostflow_secrets(service, match):
    env = environ(service_pid(service, match))
    present = sorted(k for k in env if k in (*CREDENTIALS, *INBOUND, "HOSTFLOW_DATABASE_URL", "HOSTFLOW_S3_SECRET_KEY")
                     or k.startswith("HOSTFLOW_WEBHOOK_SECRET_"))
    assert not present, f"{service} was started with {present}"


def test_hypervisor_settings_have_no_database():
    """With a hypervisor worker's own environment (and its node, which the worker sets
    once started) no database URL resolves, and opening one fails database_url_unset
    instead of falling back to the state dir's SQLite file."""
    env = environ(service_pid("worker-hv1", "workers.process --role hv"))
    env["HOSTFLOW_NODE"] = "hv1"
    code = ("from infra.settings import Settings\n"
            "from infra.db.engine import database\n"
            "s = Settings.from_env()\n"
            "assert s.database_url == '', s.database_url\n"
            "try:\n"
            "    database(s.database_url)\n"
            "except Exception as exc:\n"
            "    print(exc.code)\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "database_url_unset", out.stdout + out.stderr
