from functions.volume_extend import decide_extend

GIB = 1 << 30


def test_grow_a_detached_volume_in_the_pool():
    assert decide_extend(GIB, 2 * GIB, None).action == "resize"


def test_grow_an_attached_volume_live():
    plan = decide_extend(GIB, 2 * GIB, "vdc")
    assert plan.action == "block_resize" and "vdc" in plan.detail


def test_already_large_enough_is_done():
    assert decide_extend(2 * GIB, 2 * GIB, "vdc").noop
    assert decide_extend(3 * GIB, 2 * GIB, None).noop


def test_a_missing_volume_is_a_conflict():
    assert decide_extend(None, GIB, None).action == "conflict"
