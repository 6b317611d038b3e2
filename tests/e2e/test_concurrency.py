"""Two allocations at once: both run at the same time, on different hypervisors."""
from tests.e2e.conftest import NOTHING, leftovers, unique_name


def test_two_allocations_overlap_and_spread_over_nodes(api, settings, libvirt):
    accepted = [api.allocate(unique_name("e2e")) for _ in range(2)]
    ops = [api.wait(a["operation"]["id"]) for a in accepted]
    try:
        assert [op["state"] for op in ops] == ["succeeded", "succeeded"], [op["error"] for op in ops]
        first, second = ops
        assert first["started"] < second["finished"] and second["started"] < first["finished"]
        assert {op["result"]["hypervisor"] for op in ops} == {"hv1", "hv2"}
    finally:
        for a in accepted:
            api.wait(api.delete(f"/v1/hosts/{a['host']['id']}").json()["operation"]["id"])
    for a in accepted:
        assert leftovers(settings, libvirt, a["host"]["id"]) == NOTHING
