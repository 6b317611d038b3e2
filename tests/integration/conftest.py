"""Real services: SQLite and PostgreSQL, Redis, libvirtd with QEMU TCG guests.

PostgreSQL comes from HOSTFLOW_TEST_PG_URL (scripts/postgres.sh url), Redis and the
rest from the stack's openrc, both exported by scripts/test.sh."""
import os

import pytest
from sqlalchemy import text

from infra.db import migrate
from infra.db.engine import Database
from infra.db.models import Base

BACKENDS = ["sqlite", "postgresql"]


def _reset_postgres(url: str) -> None:
    db = Database(url)
    with db.engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.dispose()


@pytest.fixture(params=BACKENDS)
def any_db(request, tmp_path):
    """A freshly migrated database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'it.db'}"
    else:
        url = os.environ.get("HOSTFLOW_TEST_PG_URL")
        if not url:
            pytest.fail("HOSTFLOW_TEST_PG_URL is not set: run the tests through scripts/test.sh")
        _reset_postgres(url)
    migrate.upgrade(url)
    db = Database(url)
    yield db
    db.dispose()
