"""Real services: SQLite and PostgreSQL, Redis, libvirtd with QEMU TCG guests.

PostgreSQL comes from HOSTFLOW_TEST_PG_URL (scripts/postgres.sh url), Redis and the
rest from the stack's openrc, both exported by scripts/test.sh."""
import os
import signal

import pytest
from sqlalchemy import text

from infra.db import migrate
from infra.db.engine import Database
from infra.db.models import Base

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def signal_handlers_restored():
    """A test that runs an RQ worker in this process leaves RQ's SIGTERM and SIGINT
    handlers installed; a child pyroute2 forks for a namespace would inherit them, and
    the SIGTERM that should end it would send it on running this session instead."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


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


# --- libvirt guests -------------------------------------------------------
import json  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

from functions.node import Node  # noqa: E402
from infra import config_drive, console, qemu_img  # noqa: E402
from infra.image_source import ImageSource  # noqa: E402
from infra.libvirt_compute import LibvirtCompute  # noqa: E402
from infra.libvirt_storage import LibvirtStorage  # noqa: E402
from infra.netlink import Netlink  # noqa: E402
from infra.settings import Settings  # noqa: E402
from operations.bootstrap import object_store, qemu_gid  # noqa: E402

TEST_STACK = "hostflow-test"
TEST_BRIDGE = "hfbr-itest"


def _state_dir() -> Path:
    return Settings.from_env().state_dir


def clean_leftovers(compute: LibvirtCompute, root: Path) -> None:
    """Removes what earlier test runs left: domains carrying the test mark, the test root."""
    for name in compute.domains_marked(TEST_STACK):
        compute.destroy(name)
        compute.undefine(name)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def test_image() -> dict:
    """Image refs (as flows pass them) of the built AKI/ARI/AMI test image."""
    directory = _state_dir() / "images" / "test"
    manifest = json.loads((directory / "manifest.json").read_text())
    refs = {}
    for kind, entry in manifest["files"].items():
        refs[kind] = {"id": f"test-{kind}", "sha512": entry["sha512"], "location": str(directory / entry["file"]),
                      "disk_format": entry["disk_format"]}
    refs["cmdline"] = manifest["cmdline"]
    return refs


@pytest.fixture(scope="session")
def node() -> Node:
    root = _state_dir() / "test" / "nodes" / "itest"
    compute = LibvirtCompute("qemu:///system")
    clean_leftovers(compute, root)
    images = ImageSource(object_store(Settings.from_env()))
    n = Node(name="itest", root=root, compute=compute, images=images, netlink=Netlink(TEST_STACK),
             storage=LibvirtStorage.sharing(compute), disk_images=qemu_img, consoles=console,
             config_drives=config_drive, virt_type="qemu", stack=TEST_STACK, boot_timeout=90, shutdown_timeout=10,
             qemu_gid=qemu_gid(Settings.from_env()))
    n.make_dir(root)
    yield n
    clean_leftovers(compute, root)
    n.netlink.remove_marked(TEST_BRIDGE)
    compute.close()


# --- object storage -----------------------------------------------------------
import uuid  # noqa: E402

from infra.errors import HostflowError  # noqa: E402


@pytest.fixture(scope="module")
def objects():
    """The stack's object store (the real Swift), as hostflow's adapter."""
    settings = Settings.from_env()
    if not settings.s3_endpoint:
        pytest.fail("HOSTFLOW_S3_ENDPOINT unset: run through scripts/test.sh (it sources .hostflow/openrc)")
    return object_store(settings)


@pytest.fixture(scope="module")
def bucket(objects, request):
    """A bucket of the module's own, emptied and removed after it."""
    name = f"it-{request.module.__name__.rsplit('.', 1)[-1].replace('_', '-')[:30]}-{uuid.uuid4().hex[:8]}"
    assert objects.ensure_bucket(name)
    yield name
    try:
        objects.abort_uploads(name, "")
    except HostflowError:
        pass
    objects.delete_keys(name, objects.keys(name, ""))
    objects.client.delete_bucket(Bucket=name)
