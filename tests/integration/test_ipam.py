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
