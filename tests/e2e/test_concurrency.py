"""Two allocations at once, one per hypervisor: both run at the same time. Each is pinned to its
node, so hosts left on a node by earlier runs cannot steer placement (the most-free-RAM rule
itself is specified in tests/unit/test_placement.py)."""
from tests.e2e.conftest import NOTHING, leftovers, unique_name

NODES = ("hv1", "hv2")


def test_allocations_on_two_nodes_run_at_the_same_time(api, settings, libvirt):
    accepted = [api.allocate(unique_name("e2e"), hypervisor=node) for node in NODES]
    ops = [api.wait(a["operation"]["id"]) for a in accepted]
    try:
        assert [op["state"] for op in ops] == ["succeeded", "succeeded"], [op["error"] for op in ops]
        first, second = ops
        assert first["started"] < second["finished"] and second["started"] < first["finished"]
        assert tuple(op["result"]["hypervisor"] for op in ops) == NODES
    finally:
        for a in accepted:
            api.wait(api.delete(f"/v1/hosts/{a['host']['id']}").json()["operation"]["id"])
    for a in accepted:
        assert leftovers(settings, libvirt, a["host"]["id"]) == NOTHING
