"""The volume decide steps and target naming, as data; detach's wait and attach's flags with fakes."""
import json
from pathlib import Path

import pytest

from functions import volumes
from functions.node import Node
from functions.volumes import (
    GIB,
    decide_attach,
    decide_detach,
    decide_volume,
    disk_target,
    guest_serial,
    next_free_target,
    visible_block,
)
from infra import console
from infra.errors import ComputeError, GuestTimeout

P = "/n/volumes/vol-a.raw"


def disk(target, source, serial=None):
    return {"target": target, "source": source, "serial": serial}


BASE = [disk("vda", "/n/disk.qcow2"), disk("vdb", "/n/config.iso")]


def test_volume_create_grow_and_done():
    assert decide_volume(None, GIB).action == "create"
    assert decide_volume({"capacity": GIB}, 2 * GIB).action == "grow"
    assert decide_volume({"capacity": GIB}, GIB).noop


def test_volume_never_shrinks():
    assert decide_volume({"capacity": 2 * GIB}, GIB).noop


def test_disk_target_names_follow_libvirt():
    assert [disk_target(i) for i in (0, 2, 25, 26, 27, 51, 52)] == \
        ["vda", "vdc", "vdz", "vdaa", "vdab", "vdaz", "vdba"]


def test_next_free_target_starts_at_vdc_and_fills_gaps():
    assert next_free_target(set()) == "vdc"
    assert next_free_target({"vda", "vdb"}) == "vdc"
    assert next_free_target({"vda", "vdb", "vdc", "vde"}) == "vdd"
    assert next_free_target({f"vd{c}" for c in "abcdefghijklmnopqrstuvwxyz"}) == "vdaa"


def test_attach_picks_the_first_free_target_of_live_and_persistent():
    plan = decide_attach(BASE + [disk("vdc", "/x")], BASE + [disk("vdd", "/y")], P)
    assert (plan.action, plan.detail) == ("attach", "vde")


def test_attach_already_done_when_in_persistent_xml():
    assert decide_attach(BASE + [disk("vdc", P)], [], P).noop


def test_attach_conflicts_while_a_live_detach_is_pending():
    assert decide_attach(BASE, BASE + [disk("vdc", P)], P).action == "conflict"


def test_detach_flags_follow_where_the_disk_is():
    assert decide_detach(BASE, BASE, P).noop
    assert decide_detach(BASE + [disk("vdc", P)], BASE + [disk("vdc", P)], P).detail == "live+config"
    assert decide_detach(BASE, BASE + [disk("vdc", P)], P).detail == "live"
    assert decide_detach(BASE + [disk("vdc", P)], [], P).detail == "config"


def test_guest_sees_the_first_20_bytes_of_the_serial():
    vid = "0123456789abcdef0123456789"
    assert guest_serial(vid) == "0123456789abcdef0123"
    state = {"blocks": [{"name": "vda", "serial": ""}, {"name": "vdc", "serial": vid[:20], "size_bytes": 5}]}
    assert visible_block(state, vid)["name"] == "vdc"
    assert visible_block(state, "other") is None
    assert visible_block(None, vid) is None


# --- detach's wait and attach's flags, with a fake compute adapter --------------


class FakeCompute:
    """A domain whose guest never releases a live disk (no ACPI hot-unplug)."""

    def __init__(self, state, persistent, live):
        self._state, self.persistent, self.live, self.calls = state, persistent, live, []

    def state(self, _name):
        return self._state

    def disks(self, _name, live=False):
        return list(self.live if live else self.persistent)

    def attach_disk(self, name, path, target, serial, live):
        self.calls.append(("attach", target, serial, live))
        self.persistent.append(disk(target, path, serial))

    def detach_disk(self, name, path, live, config):
        self.calls.append(("detach", live, config))
        if config:
            self.persistent[:] = [d for d in self.persistent if d["source"] != path]


class FakeStorage:
    def volume(self, _pool, name):
        return {"path": f"/n/volumes/{name}", "capacity": 1, "allocation": 0}


def on_node(root, compute=None):
    """Console logs read for real (under root): the guest's view comes from files the test writes."""
    return Node("n", root, compute, None, None, "qemu", "s", disk_images=None, consoles=console, config_drives=None)


def fake_node(compute):
    node = on_node(Path("/n"), compute)
    node.storage = FakeStorage()
    return node


VP = "/n/volumes/vol-v.raw"


def test_detach_times_out_when_the_guest_keeps_the_disk():
    fake = FakeCompute("running", BASE + [disk("vdc", VP)], BASE + [disk("vdc", VP)])
    with pytest.raises(ComputeError) as info:
        volumes.detach_volume(fake_node(fake), {"host_id": "h", "volume_id": "v", "timeout": 0.3})
    assert info.value.code == "detach_timeout"
    assert fake.calls == [("detach", True, True)]
    assert volumes.plan_detach(fake_node(fake), {"host_id": "h", "volume_id": "v"}).detail == "live"


def test_attach_to_a_stopped_domain_changes_only_its_definition():
    fake = FakeCompute("shutoff", list(BASE), [])
    out = volumes.attach_volume(fake_node(fake), {"host_id": "h", "volume_id": "v"})
    assert out.data == {"target": "vdc", "console_offset": 0} and fake.calls == [("attach", "vdc", "v", False)]


def _state_line(seq: int, serials: list[str]) -> str:
    blocks = [{"name": f"vd{chr(99 + i)}", "serial": s, "size_bytes": 1 << 30} for i, s in enumerate(serials)]
    return f"HOSTFLOW-STATE {json.dumps({'seq': seq, 'blocks': blocks})}\n"


def test_a_state_line_from_before_the_attach_does_not_count_as_visible(tmp_path):
    node = on_node(tmp_path)
    log = node.console_log("h")
    log.parent.mkdir(parents=True)
    log.write_text(_state_line(1, ["v"]))  # printed before a detach the guest has since done
    req = {"host_id": "h", "volume_id": "v", "console_offset": log.stat().st_size, "timeout": 0.3}
    with pytest.raises(GuestTimeout):
        volumes.wait_volume_visible(node, req)
    with log.open("a") as fh:
        fh.write(_state_line(2, ["v"]))
    assert volumes.wait_volume_visible(node, req).data["device"] == "vdc"


def test_without_a_new_line_the_last_one_counts_once_the_guest_has_polled_since(tmp_path, monkeypatch):
    monkeypatch.setattr(volumes, "GUEST_POLL", 0.05)
    node = on_node(tmp_path)
    log = node.console_log("h")
    log.parent.mkdir(parents=True)
    log.write_text(_state_line(1, ["v"]))  # the guest never saw the disk go: its state did not change
    out = volumes.wait_volume_visible(node, {"host_id": "h", "volume_id": "v", "console_offset": log.stat().st_size,
                                             "timeout": 2})
    assert out.data["device"] == "vdc"
