"""Property-based fuzzing of the HTTP API (schemathesis): every operation of the served
OpenAPI document gets generated requests, valid and invalid, with an admin and with a
project-scoped operator token; none may answer 5xx, and every answer's status, content
type and body must be the ones the document gives.

The target is the real Flask app and its real document, served in-process on a loopback
port with a database of its own and its queue on a Redis database no worker reads: a
fuzzed request that passes validation is recorded and queued there, and nothing runs it
(no guest boots, the shared stack's database and queues stay untouched).
"""
import os
import re
import threading
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from redis import Redis
from werkzeug.serving import make_server

from api.app import create_app
from api.openapi.document import document
from infra.db import migrate
from infra.db.models import Backup, Host, Image, Operation, Share, Volume
from infra.db.tokens import TokenStore
from infra.settings import Settings

# Records the fuzzed paths name half the time, so requests get past "not found" into the
# code behind it. Their node is "" (not placed): a dry run plans without asking a node.
KNOWN = {"hosts": "fuzz-host", "volumes": "fuzz-volume", "backups": "fuzz-backup", "images": "fuzz-image",
         "operations": "fuzz-op", "networks": "vm", "shares": "fuzz-share"}

FUZZ_REDIS_DB = 15  # on the stack's Redis; workers consume db 0
# A deeper run: HOSTFLOW_FUZZ_EXAMPLES=200 HOSTFLOW_FUZZ_SEED=<n> (a seed makes it explore other inputs).
MAX_EXAMPLES = int(os.environ.get("HOSTFLOW_FUZZ_EXAMPLES", "15"))  # per operation and token
SEED = os.environ.get("HOSTFLOW_FUZZ_SEED")
DETERMINISTIC = SEED is None


def fuzz_redis_url() -> str:
    stack = urlsplit(os.environ.get("HOSTFLOW_REDIS_URL", "redis://127.0.0.1:6390/0"))
    return f"redis://{stack.netloc}/{FUZZ_REDIS_DB}"


def fuzz_settings(state_dir) -> Settings:
    """Of the stack's: the DNS server (dry runs read from it) and the object store, with
    buckets of its own (uploads only go to images the fuzzer created). No Prefect: a run
    started from here would fail, not reach the stack's."""
    stack = {k: v for k, v in os.environ.items() if k.startswith(("HOSTFLOW_S3_", "HOSTFLOW_DNS_"))}
    return Settings.from_env({
        **stack, "HOSTFLOW_STATE_DIR": str(state_dir), "HOSTFLOW_REDIS_URL": fuzz_redis_url(),
        "HOSTFLOW_IMAGE_BUCKET": "hostflow-fuzz-images", "HOSTFLOW_BACKUP_BUCKET": "hostflow-fuzz-backups",
        "HOSTFLOW_PREFECT_API_URL": "http://127.0.0.1:9/api", "HOSTFLOW_WEBHOOK_SECRET_GENERIC": "fuzz-secret",
    })


@pytest.fixture(scope="session")
def reclaim_leftover_test_hosts():
    """Nothing to reclaim: these requests never reach the shared stack's API."""


@pytest.fixture(scope="module")
def fuzz_queue():
    redis = Redis.from_url(fuzz_redis_url())
    redis.flushdb()
    yield redis
    redis.flushdb()
    redis.close()


ALLOCATE = {"name": "web1", "env": "test", "image": "img", "project": "default", "ssh_keys": [],
            "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}


def seed(db) -> None:
    with db.session() as s:
        s.add(Image(id=KNOWN["images"], name="img", disk_format="qcow2", container_format="bare", status="active",
                    os_hash_value="00", location="/nowhere"))
        s.add(Host(id=KNOWN["hosts"], name="web1", env="test", fqdn="web1.test.cloud.internal", state="active",
                   hypervisor="", image_id=KNOWN["images"], vcpus=1, ram_mb=256, disk_gb=1,
                   addresses=[{"network": "vm", "address": "10.213.0.5", "cidr": "10.213.0.5/24"}]))
        s.add(Volume(id=KNOWN["volumes"], name="data", env="test", size_gb=1, state="available", hypervisor=""))
        s.add(Backup(id=KNOWN["backups"], name="bk", volume_id=KNOWN["volumes"], state="available", size_gb=1,
                     chunk_size=32 << 20, bucket="hostflow-backups", manifest="backups/fuzz/manifest.json"))
        s.add(Share(id="fuzz-share-id", name=KNOWN["shares"], env="test", source="/srv/shares/a", mount_point="/mnt/a"))
        s.add(Operation(id=KNOWN["operations"], kind="allocate_host", idempotency_key="fuzz", fingerprint="0",
                        state="failed", host_id=KNOWN["hosts"], params=ALLOCATE))


@pytest.fixture(scope="module")
def served_api(tmp_path_factory, fuzz_queue):
    """(base URL, {role: token}) of an in-process app on 127.0.0.1:<random port>."""
    conf = fuzz_settings(tmp_path_factory.mktemp("fuzz"))
    migrate.upgrade(conf.database_url)
    app = create_app(conf)
    db = app.extensions["hostflow"].operations.db
    seed(db)
    tokens = {role: TokenStore(db).create(f"fuzz-{role}", role, ["default"] if role == "operator" else None)
              for role in ("admin", "operator")}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", tokens
    server.shutdown()
    thread.join(timeout=10)


CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance")


def fuzz_config() -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        **({} if DETERMINISTIC else {"seed": int(SEED)}),
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": DETERMINISTIC},
        "phases": {"stateful": {"enabled": False}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    })


schema = schemathesis.openapi.from_dict(document(), config=fuzz_config())


def known_path_parameters(path: str) -> dict | None:
    """/v1/hosts/{id}/volumes/{volume_id} -> the seeded host's and volume's ids."""
    values = {"id": KNOWN.get(path.split("/")[2]), "volume_id": KNOWN["volumes"], "fqdn": "www.cloud.internal",
              "name": KNOWN["shares"] if "/shares/" in path else KNOWN["networks"]}
    names = re.findall(r"{(\w+)}", path)
    known = {name: values.get(name) for name in names}
    return known if names and None not in known.values() else None


@schema.hook
def before_generate_path_parameters(context, strategy):
    known = known_path_parameters(context.operation.path)
    return strategy if known is None else st.one_of(strategy, st.just(known))


@pytest.fixture(params=["admin", "operator"])
def token(request, served_api):
    return served_api[1][request.param]


def test_the_fuzzed_document_is_the_one_the_api_serves(served_api):
    url, tokens = served_api
    served = requests.get(f"{url}/v1/openapi.json", headers={"Authorization": f"Bearer {tokens['admin']}"}, timeout=10)
    assert served.status_code == 200
    assert served.json() == schema.raw_schema


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=MAX_EXAMPLES, database=None,
          derandomize=DETERMINISTIC)
def test_no_request_gets_a_server_error_or_an_undocumented_answer(case, served_api, token):
    case.call_and_validate(base_url=served_api[0], headers={"Authorization": f"Bearer {token}"}, timeout=30)
