"""How a streamed upload is cut into parts: few parts for small objects, and large ones
still fit in Swift's 1000 parts with bounded memory."""
from infra.object_stream import PartPlan

MIB, GIB = 1 << 20, 1 << 30


def test_parts_double_every_fifth_of_the_part_limit():
    plan = PartPlan()
    assert [plan.size(n) // MIB for n in (1, 200, 201, 400, 401, 801, 1000)] == [16, 16, 32, 32, 64, 256, 256]


def test_the_part_limit_holds_more_than_the_largest_image_allowed():
    plan = PartPlan()
    assert sum(plan.size(n) for n in range(1, plan.max_parts + 1)) > 72 * GIB  # 64 GiB x 1.125, the API's cut-off


def test_bytes_in_flight_stay_within_the_budget():
    plan = PartPlan()
    assert plan.budget == 80 * MIB
    assert plan.budget // plan.size(1) == 5 and plan.budget // plan.size(201) == 2
