import pytest

from infra.db import migrate
from infra.db.engine import Database


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'unit.db'}"
    migrate.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()
