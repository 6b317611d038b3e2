import pytest

from api.app import create_app
from infra import queue
from infra.db import migrate
from infra.db.engine import Database
from infra.db.images import ImageStore
from infra.db.tokens import TokenStore
from infra.settings import Settings


@pytest.fixture(autouse=True)
def redis_refuses_at_once(monkeypatch):
    """Unit tests point Redis at a closed port: its refusal needs no retries here (the
    retries are the integration suite's, tests/integration/test_operation_queue.py)."""
    monkeypatch.setattr(queue, "RETRIES", 0)


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'unit.db'}"
    migrate.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


@pytest.fixture
def api(tmp_path):
    settings = Settings.from_env({"HOSTFLOW_STATE_DIR": str(tmp_path), "HOSTFLOW_MAX_VCPUS": "8",
                                  "HOSTFLOW_REDIS_URL": "redis://127.0.0.1:1/0",
                                  "HOSTFLOW_WEBHOOK_SECRET_GENERIC": "s3cret"})
    migrate.upgrade(settings.database_url)
    app = create_app(settings)
    svc = app.extensions["hostflow"]
    ImageStore(svc.operations.db).add(name="img", disk_format="qcow2", status="active", os_hash_value="00",
                                      location="/nowhere")
    client = app.test_client()
    client.admin = TokenStore(svc.operations.db).create("admin", "admin")
    client.viewer = TokenStore(svc.operations.db).create("v", "viewer")
    client.svc = svc
    return client
