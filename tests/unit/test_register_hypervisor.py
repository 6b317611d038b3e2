"""A node registers itself on its own queue, hv.<node>, only (workers.housekeeping)."""
from types import SimpleNamespace

import pytest

from infra.db import migrate
from infra.db.engine import Database
from infra.db.hypervisors import HypervisorStore
from infra.errors import Invalid
from workers import housekeeping

NODE = {"vcpus": 4, "ram_mb": 4096, "disk_gb": 50}
RATIOS = {"cpu": 4.0, "ram": 1.0, "disk": 1.0}


@pytest.fixture
def control(tmp_path, monkeypatch):
    """The control plane's database as the job finds it (from the environment); the
    networks a registration would queue on the node's queue are recorded instead."""
    url = f"sqlite:///{tmp_path / 'control.db'}"
    migrate.upgrade(url)
    monkeypatch.delenv("HOSTFLOW_SETTINGS_FILE", raising=False)
    monkeypatch.setenv("HOSTFLOW_DATABASE_URL", url)
    monkeypatch.setenv("HOSTFLOW_REDIS_URL", "redis://127.0.0.1:1/0")
    database, queued = Database(url), []
    monkeypatch.setattr(housekeeping, "converge_node_networks",
                        lambda _settings, name, queue_name: queued.append((name, queue_name)))
    yield SimpleNamespace(hypervisors=HypervisorStore(database), queued=queued)
    database.dispose()


@pytest.mark.parametrize("name, queue_name", [("hv1", "hv.hv2"), ("hv1", "control"), ("hv1", "flows"),
                                              ("hv1", "hv.hv1,control"), ("hv1", "hv.hv1 "), ("hv1", "hv1"),
                                              ("hv1,control", "hv.hv1,control"), ("", "hv."),
                                              ("../x", "hv.../x"), (None, "hv.None"),
                                              ("hv_1", "hv.hv_1"), ("hv.1", "hv.hv.1")])
def test_a_node_registering_any_queue_but_its_own_is_refused_and_nothing_is_recorded(control, name, queue_name):
    with pytest.raises(Invalid) as info:
        housekeeping.register_hypervisor(name, queue_name, NODE, RATIOS)
    assert info.value.code == "registration_refused"
    assert control.hypervisors.all() == []
    assert control.queued == []


def test_the_refusal_says_which_queue_the_node_may_register(control):
    with pytest.raises(Invalid, match="node hv1 may register only its own queue hv.hv1, not 'hv.hv2'"):
        housekeeping.register_hypervisor("hv1", "hv.hv2", NODE, RATIOS)


def test_a_node_registering_its_own_queue_is_recorded(control):
    assert housekeeping.register_hypervisor("hv1", "hv.hv1", NODE, RATIOS) == {"ok": True}
    [record] = control.hypervisors.all()
    assert (record["name"], record["queue"], record["capacity"]["vcpus"]) == ("hv1", "hv.hv1", 4)
    assert control.queued == [("hv1", "hv.hv1")]
