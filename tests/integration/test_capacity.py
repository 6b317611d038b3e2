"""Capacity claims on SQLite and PostgreSQL: atomic, never overcommitted, idempotent."""
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC

import pytest

from functions.capacity import claim_capacity, release_capacity, resize_claim, undo_resize_claim
from functions.node import Control
from infra.db.capacity import CapacityStore
from infra.db.hypervisors import HypervisorStore
from infra.errors import NoCapacity

RATIOS = {"cpu": 1.0, "ram": 1.0, "disk": 1.0}


def register(db, name="hv1", vcpus=64, ram_mb=4096, disk_gb=100):
    HypervisorStore(db).register(name, f"hv.{name}", {"vcpus": vcpus, "ram_mb": ram_mb, "disk_gb": disk_gb}, RATIOS)


def control(db):
    return Control(capacity=CapacityStore(db), ipam=None, vm_network="vm", vm_subnet="", vm_gateway="")


def test_twenty_concurrent_claims_never_overcommit(any_db):
    register(any_db, ram_mb=4096)
    store = CapacityStore(any_db)
    store.claim_on("hv1", "filler", 1, 4096 - 5 * 256, 1)

    def claim(i):
        try:
            return store.claim(f"host-{i}", 1, 256, 1)
        except NoCapacity:
            return None

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(claim, range(20)))
    assert sum(r is not None for r in results) == 5
    [hv] = HypervisorStore(any_db).all()
    assert hv["claimed"]["ram_mb"] == 4096


def test_claim_is_already_done_the_second_time(any_db):
    register(any_db)
    ctl = control(any_db)
    first = claim_capacity(ctl, {"host_id": "h1", "vcpus": 2, "ram_mb": 512, "disk_gb": 5})
    second = claim_capacity(ctl, {"host_id": "h1", "vcpus": 2, "ram_mb": 512, "disk_gb": 5})
    assert first.changed and not second.changed
    assert second.data["hypervisor"] == "hv1"
    assert HypervisorStore(any_db).all()[0]["claimed"] == {"vcpus": 2, "ram_mb": 512, "disk_gb": 5}


def test_release_gives_back_and_is_idempotent(any_db):
    register(any_db)
    ctl = control(any_db)
    claim_capacity(ctl, {"host_id": "h1", "vcpus": 2, "ram_mb": 512, "disk_gb": 5})
    assert release_capacity(ctl, {"host_id": "h1"}).changed
    assert not release_capacity(ctl, {"host_id": "h1"}).changed
    assert HypervisorStore(any_db).all()[0]["claimed"] == {"vcpus": 0, "ram_mb": 0, "disk_gb": 0}


def test_no_node_can_hold_it(any_db):
    register(any_db, ram_mb=1024)
    with pytest.raises(NoCapacity) as info:
        claim_capacity(control(any_db), {"host_id": "h1", "vcpus": 1, "ram_mb": 2048, "disk_gb": 1})
    assert info.value.code == "no_capacity"
    assert CapacityStore(any_db).find("h1") is None


def test_allocation_ratio_allows_overcommit_of_cpu(any_db):
    HypervisorStore(any_db).register("hv1", "hv.hv1", {"vcpus": 2, "ram_mb": 4096, "disk_gb": 100},
                                     {**RATIOS, "cpu": 4.0})
    store = CapacityStore(any_db)
    assert store.claim("a", 8, 128, 1).hypervisor == "hv1"
    with pytest.raises(NoCapacity):
        store.claim("b", 1, 128, 1)


def test_stale_heartbeat_takes_a_node_out_of_scheduling(any_db):
    from datetime import datetime, timedelta

    register(any_db)
    HypervisorStore(any_db).beat("hv1", datetime.now(UTC) - timedelta(minutes=5))
    with pytest.raises(NoCapacity):
        CapacityStore(any_db, heartbeat_ttl=30).claim("h1", 1, 128, 1)


def test_a_resize_moves_the_claim_and_the_nodes_counters_by_the_difference(any_db):
    register(any_db, ram_mb=4096)
    ctl = control(any_db)
    claim_capacity(ctl, {"host_id": "h1", "vcpus": 1, "ram_mb": 1024, "disk_gb": 10})
    out = resize_claim(ctl, {"host_id": "h1", "vcpus": 2, "ram_mb": 3072, "disk_gb": 20})
    assert out.changed and out.after["ram_mb"] == 3072
    [hv] = HypervisorStore(any_db).all()
    assert hv["claimed"] == {"vcpus": 2, "ram_mb": 3072, "disk_gb": 20}
    assert not resize_claim(ctl, {"host_id": "h1", "vcpus": 2, "ram_mb": 3072, "disk_gb": 20}).changed


def test_a_resize_the_node_cannot_hold_changes_nothing(any_db):
    register(any_db, ram_mb=4096)
    ctl = control(any_db)
    claim_capacity(ctl, {"host_id": "h1", "vcpus": 1, "ram_mb": 1024, "disk_gb": 10})
    claim_capacity(ctl, {"host_id": "h2", "vcpus": 1, "ram_mb": 2048, "disk_gb": 10})
    with pytest.raises(NoCapacity):
        resize_claim(ctl, {"host_id": "h1", "vcpus": 1, "ram_mb": 2049, "disk_gb": 10})
    [hv] = HypervisorStore(any_db).all()
    assert hv["claimed"]["ram_mb"] == 3072 and CapacityStore(any_db).find("h1").ram_mb == 1024


def test_undoing_a_resize_gives_the_old_size_back(any_db):
    register(any_db)
    ctl = control(any_db)
    claim_capacity(ctl, {"host_id": "h1", "vcpus": 1, "ram_mb": 256, "disk_gb": 1})
    req = {"host_id": "h1", "vcpus": 4, "ram_mb": 512, "disk_gb": 2, "old": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}
    resize_claim(ctl, req)
    assert undo_resize_claim(ctl, req).changed
    assert HypervisorStore(any_db).all()[0]["claimed"] == {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}
