"""A volume seen by a guest with an agent: lsblk through the agent lists its serial
(functions.volumes.wait_volume_visible with readiness agent); with readiness none,
nothing is checked and the step says so."""
import json
from pathlib import Path

import pytest

from functions import volumes
from functions.node import Node
from infra.errors import GuestTimeout

VOLUME = "0f3c2a9e-1b7d-4c55-8e21-9a6b5d4c3f10"


class Guest:
    """lsblk answers with the root disk, and the volume from the `shows_after`-th call on."""

    def __init__(self, shows_after=0, size=1 << 30):
        self.calls, self.shows_after, self.size = 0, shows_after, size

    def guest_exec(self, name, argv, timeout=20.0):
        assert argv[0] == "lsblk"
        self.calls += 1
        devices = [{"name": "vda", "serial": None, "size": 3 << 30}]
        if self.calls > self.shows_after:
            devices.append({"name": "vdc", "serial": volumes.guest_serial(VOLUME), "size": self.size})
        return {"exitcode": 0, "out": json.dumps({"blockdevices": devices})}


def node(compute) -> Node:
    return Node("n", Path("/n"), compute, None, None, "qemu", "s", disk_images=None, consoles=None,
                config_drives=None)


def test_the_agent_listing_the_serial_is_visible(monkeypatch):
    monkeypatch.setattr(volumes.time, "sleep", lambda _s: None)
    guest = Guest(shows_after=2)
    outcome = volumes.wait_volume_visible(node(guest), {"host_id": "h1", "volume_id": VOLUME, "readiness": "agent"})
    assert (outcome.note, outcome.data, guest.calls) == ("the guest agent listed the disk",
                                                          {"device": "vdc", "size_bytes": 1 << 30}, 3)


def test_an_extend_waits_for_the_size(monkeypatch):
    monkeypatch.setattr(volumes.time, "sleep", lambda _s: None)
    req = {"host_id": "h1", "volume_id": VOLUME, "readiness": "agent", "size_bytes": 2 << 30, "timeout": 0.05}
    with pytest.raises(GuestTimeout, match="did not list a disk with serial"):
        volumes.wait_volume_visible(node(Guest()), req)


def test_without_a_way_into_the_guest_nothing_is_checked_and_it_says_so():
    outcome = volumes.wait_volume_visible(node(None), {"host_id": "h1", "volume_id": VOLUME, "readiness": "none"})
    assert not outcome.changed and "not checked" in outcome.note
