"""The decide steps, as data."""
from functions.capacity import decide_claim
from functions.compute import decide_defined, decide_running, decide_stopped, guest_matches
from functions.disks import GIB, decide_config_drive, decide_root_disk
from functions.images import decide_cached
from infra.db.capacity import Claim


def test_claim_needed_when_none_exists():
    assert decide_claim(None, 1, 128, 1).action == "claim"


def test_claim_already_done():
    assert decide_claim(Claim("h", "hv1", 1, 128, 1), 1, 128, 1).noop


def test_image_fetch_only_when_missing():
    assert decide_cached(False, "qcow2").action == "fetch"
    assert decide_cached(True, "qcow2").noop


def test_root_disk_create_grow_conflict_and_done():
    assert decide_root_disk(None, "/b", GIB).action == "create"
    small = {"backing-filename": "/b", "virtual-size": GIB}
    assert decide_root_disk(small, "/b", 2 * GIB).action == "grow"
    assert decide_root_disk(small, "/b", GIB).noop
    assert decide_root_disk(small, "/other", GIB).action == "conflict"


def test_a_blank_root_disk_is_made_once_and_never_swapped_for_an_overlay():
    assert decide_root_disk(None, None, GIB).detail == "blank qcow2, 1 GiB"
    assert decide_root_disk({"virtual-size": GIB}, None, GIB).noop
    assert decide_root_disk({"backing-filename": "/b", "virtual-size": GIB}, None, GIB).action == "conflict"


def test_root_disk_never_shrinks():
    assert decide_root_disk({"backing-filename": "/b", "virtual-size": 4 * GIB}, "/b", GIB).noop


def test_config_drive_written_when_absent_or_different():
    want = {"meta-data": "a"}
    assert decide_config_drive(None, want).action == "write"
    assert decide_config_drive({"meta-data": "b"}, want).action == "write"
    assert decide_config_drive(want, want).noop


def test_define_conflicts_with_another_hosts_domain():
    assert decide_defined(None, "h1").action == "define"
    assert decide_defined({"host": "h1"}, "h1").noop
    assert decide_defined({"host": "h2"}, "h1").action == "conflict"


def test_running_decisions():
    assert decide_running("shutoff").action == "start"
    assert decide_running("running").noop
    assert decide_running("absent").action == "conflict"


def test_stopped_decisions():
    assert decide_stopped("absent").noop and decide_stopped("shutoff").noop
    assert decide_stopped("running").action == "shutdown"


def test_guest_matches_needs_hostname_and_every_address():
    state = {"hostname": "web1", "addresses": [{"cidr": "10.0.0.5/24"}]}
    assert guest_matches(state, "web1", ["10.0.0.5/24"])
    assert not guest_matches(state, "web2", ["10.0.0.5/24"])
    assert not guest_matches(state, "web1", ["10.0.0.6/24"])
    assert not guest_matches(None, "web1", [])
