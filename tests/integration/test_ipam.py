"""IP allocations on SQLite and PostgreSQL."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from functions.ipam import allocate_ip, release_ip
from functions.node import Control
from infra.db.ipam import IpamStore
from infra.errors import NoAddress


def control(db, subnet="10.99.0.0/29", gateway="10.99.0.1"):
    return Control(capacity=None, ipam=IpamStore(db), vm_network="vm", vm_subnet=subnet, vm_gateway=gateway)


def test_allocate_skips_gateway_and_is_already_done_twice(any_db):
    ctl = control(any_db)
    first = allocate_ip(ctl, {"host_id": "h1"})
    again = allocate_ip(ctl, {"host_id": "h1"})
    assert first.changed and not again.changed
    assert first.data["lease"]["address"] == "10.99.0.2" and again.data["lease"]["address"] == "10.99.0.2"
    assert first.data["lease"]["mac"].startswith("52:54:00:")


def test_release_frees_the_address_and_is_idempotent(any_db):
    ctl = control(any_db)
    allocate_ip(ctl, {"host_id": "h1"})
    assert release_ip(ctl, {"host_id": "h1"}).changed
    assert not release_ip(ctl, {"host_id": "h1"}).changed
    assert allocate_ip(ctl, {"host_id": "h2"}).data["lease"]["address"] == "10.99.0.2"


def test_exhausted_subnet_fails_with_no_address(any_db):
    ctl = control(any_db)
    for i in range(5):
        allocate_ip(ctl, {"host_id": f"h{i}"})
    with pytest.raises(NoAddress) as info:
        allocate_ip(ctl, {"host_id": "h-last"})
    assert info.value.code == "no_address"


def test_concurrent_allocations_get_distinct_addresses(any_db):
    ctl = control(any_db, subnet="10.99.0.0/27")
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(lambda i: allocate_ip(ctl, {"host_id": f"h{i}"}), range(10)))
    addresses = [o.data["lease"]["address"] for o in outcomes]
    assert len(set(addresses)) == 10


NETS = [{"name": "vm", "subnet": "10.99.0.0/29", "gateway": "10.99.0.1"},
        {"name": "storage", "subnet": "10.98.0.0/29", "gateway": "10.98.0.1", "reserved": ["10.98.0.2-10.98.0.4"]}]


def test_one_address_per_network_honouring_gateway_and_reserved_ranges(any_db):
    ctl = control(any_db)
    first = allocate_ip(ctl, {"host_id": "h1", "networks": NETS})
    again = allocate_ip(ctl, {"host_id": "h1", "networks": NETS})
    assert [lease["cidr"] for lease in first.data["leases"]] == ["10.99.0.2/29", "10.98.0.5/29"]
    assert [lease["gateway"] for lease in first.data["leases"]] == ["10.99.0.1", "10.98.0.1"]
    assert not again.changed and again.data["leases"] == first.data["leases"]
    assert first.data["leases"][0]["mac"] != first.data["leases"][1]["mac"]


def test_an_exhausted_network_releases_what_the_call_took(any_db):
    ctl = control(any_db)
    allocate_ip(ctl, {"host_id": "h1", "networks": NETS})
    allocate_ip(ctl, {"host_id": "h2", "networks": NETS})  # 10.98.0.6: the last one
    with pytest.raises(NoAddress):
        allocate_ip(ctl, {"host_id": "h3", "networks": NETS})
    assert ctl.ipam.held_by("h3") == []


def test_release_frees_every_network(any_db):
    ctl = control(any_db)
    allocate_ip(ctl, {"host_id": "h1", "networks": NETS})
    released = release_ip(ctl, {"host_id": "h1"})
    assert sorted(released.before) == ["10.98.0.5/29", "10.99.0.2/29"]
    assert ctl.ipam.held_by("h1") == [] and not release_ip(ctl, {"host_id": "h1"}).changed


def test_the_database_refuses_a_second_holder_of_an_address(any_db):
    from sqlalchemy.exc import IntegrityError

    from infra.db.models import IpAllocation

    allocate_ip(control(any_db), {"host_id": "h1"})
    with pytest.raises(IntegrityError), any_db.session() as s:
        s.add(IpAllocation(network="vm", address="10.99.0.2", prefix_len=29, host_id="h2", mac="52:54:00:00:00:09"))


def test_a_class_without_a_network_fails_with_no_network(any_db):
    from functions.ipam import NoNetwork

    with pytest.raises(NoNetwork) as info:
        allocate_ip(control(any_db), {"host_id": "h1", "networks": NETS[:1], "missing": ["share"]})
    assert info.value.code == "no_network"
