"""Redis requires authentication, one ACL user per role (scripts/stack.sh
write_redis_acl; docs/operations.md#redis-users).

The services' URLs are read from /proc/<pid>/environ of the stack's processes (pid
files in .hostflow/run); the admin URL is the one openrc gives (HOSTFLOW_REDIS_URL)."""
import os
import socket
import stat
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from redis import Redis
from redis.exceptions import NoPermissionError

REPO = Path(__file__).resolve().parents[2]
RUN = REPO / ".hostflow" / "run"


def environ_of(service: str, match: str) -> dict[str, str]:
    pid = int((RUN / f"{service}.pid").read_text().split()[0])
    assert match in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.decode().split("=", 1) for item in raw.split(b"\0") if b"=" in item)


@pytest.fixture(scope="module")
def admin_url() -> str:
    url = os.environ.get("HOSTFLOW_REDIS_URL", "")
    if "@" not in url:
        pytest.fail("HOSTFLOW_REDIS_URL has no credentials: source .hostflow/openrc (scripts/stack.sh up writes it)")
    return url


def test_connection_without_credentials_is_refused(admin_url):
    parts = urlsplit(admin_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(b"PING\r\n")
        reply = sock.recv(200).decode()
    assert reply.startswith("-NOAUTH"), reply


@pytest.mark.parametrize("service,match,user", [
    ("api", "gunicorn", "api"),
    ("worker-flows", "--role flows", "flows"),
    ("deployments", "workers.deployments.serve", "flows"),
    ("worker-control", "--role control", "control"),
    ("worker-hv1", "--role hv", "node-hv1"),
    ("worker-hv2", "--role hv", "node-hv2"),
])
def test_each_service_has_its_roles_user(service, match, user):
    url = environ_of(service, match)["HOSTFLOW_REDIS_URL"]
    assert urlsplit(url).username == user, f"{service} connects as {urlsplit(url).username}"
    Redis.from_url(url).ping()


@pytest.mark.parametrize("service,match", [("redis", "redis-server"), ("prefect", "prefect"), ("named", "named")])
def test_third_party_daemons_get_no_redis_url(service, match):
    assert "HOSTFLOW_REDIS_URL" not in environ_of(service, match)


@pytest.fixture(scope="module")
def node_hv1() -> Redis:
    return Redis.from_url(environ_of("worker-hv1", "--role hv")["HOSTFLOW_REDIS_URL"])


def test_node_user_cannot_push_to_other_queues(node_hv1):
    with pytest.raises(NoPermissionError):
        node_hv1.lpush("rq:queue:flows", "not-a-job")
    with pytest.raises(NoPermissionError):
        node_hv1.rpush("rq:queue:hv.hv2", "not-a-job")


def test_node_user_cannot_read_another_nodes_queue(node_hv1):
    with pytest.raises(NoPermissionError):
        node_hv1.lrange("rq:queue:hv.hv2", 0, -1)
    with pytest.raises(NoPermissionError):
        node_hv1.lrange("rq:queue:control", 0, -1)  # push-only
    with pytest.raises(NoPermissionError):
        list(node_hv1.scan_iter("rq:*"))
    node_hv1.lrange("rq:queue:hv.hv1", 0, -1)  # its own


def test_node_user_rights(admin_url):
    """What node-hv1 may do, checked without doing it (ACL DRYRUN)."""
    admin = Redis.from_url(admin_url)

    def may(*command) -> bool:
        return admin.execute_command("ACL", "DRYRUN", "node-hv1", *command) in (b"OK", "OK")

    assert may("RPUSH", "rq:queue:control", "x")
    assert may("LMOVE", "rq:queue:hv.hv1", "rq:queue:hv.hv1:intermediate", "LEFT", "RIGHT")
    assert may("HGETALL", "rq:job:hv1__op_step")  # its own jobs' keys: ids `<node>__...`
    assert may("ZADD", "rq:executions:hv1__op_step", "1", "e")
    assert not may("HGETALL", "rq:job:hv2__op_step")
    assert not may("HGETALL", "rq:job:op_step")
    assert not may("GET", "rq:results:op_step")
    assert may("ZADD", "rq:wip:hv.hv1", "1", "j")
    assert not may("ZADD", "rq:wip:hv.hv2", "1", "j")
    assert not may("LPUSH", "rq:queue:flows", "x")
    assert not may("GET", "hostflow:alive:hv-hv2-1")
    assert not may("FLUSHALL")
    assert not may("CONFIG", "GET", "*")


def test_node_user_cannot_read_or_change_the_control_planes_jobs(node_hv1, admin_url):
    """A job on another queue (here: a flows job, with its arguments) is out of a node's
    reach; RQ's keys are the real ones a queued job has."""
    from rq import Queue
    from rq.serializers import JSONSerializer

    admin = Redis.from_url(admin_url)
    job = Queue("acl-probe", connection=admin, serializer=JSONSerializer).enqueue("os.getcwd", job_id="acl_probe")
    data = admin.hget(f"rq:job:{job.id}", "data")
    try:
        with pytest.raises(NoPermissionError):
            node_hv1.hgetall(f"rq:job:{job.id}")
        with pytest.raises(NoPermissionError):
            node_hv1.hset(f"rq:job:{job.id}", "data", "x")
        assert data and admin.hget(f"rq:job:{job.id}", "data") == data
    finally:
        job.delete()
        admin.delete("rq:queue:acl-probe")
        admin.srem("rq:queues", "rq:queue:acl-probe")


def test_credentials_are_private(settings):
    state = Path(settings.state_dir)
    auth = state / "redis-auth"
    assert stat.S_IMODE(auth.stat().st_mode) == 0o700
    for path in [*auth.iterdir(), state / "redis" / "users.acl"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
