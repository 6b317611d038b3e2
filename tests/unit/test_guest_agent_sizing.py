"""A resize seen by a guest with an agent (functions.guest_agent.sizing, read by
resize.wait_guest_sized): hot-plugged vCPUs are brought online through the agent, up to
the flavor's, and the vCPUs online, MemTotal and the root disk are what is checked."""
import json
from pathlib import Path

from functions import guest_agent, resize
from functions.node import Node

GIB = 1 << 30


class Guest:
    """Two vCPUs, the second hot-plugged and offline; 1 GiB of RAM; a 3 GiB vda."""

    def __init__(self):
        self.cpus = [{"logical-id": 0, "online": True, "can-offline": False},
                     {"logical-id": 1, "online": False, "can-offline": True}]
        self.set_calls = []

    def agent(self, name, command, arguments=None, timeout=2):
        if command == "guest-get-vcpus":
            return [dict(c) for c in self.cpus]
        assert command == "guest-set-vcpus"
        self.set_calls.append(arguments)
        for wanted in arguments["vcpus"]:
            next(c for c in self.cpus if c["logical-id"] == wanted["logical-id"])["online"] = wanted["online"]
        return len(arguments["vcpus"])

    def guest_exec(self, name, argv, timeout=20.0):
        if argv[0] == "cat":
            return {"exitcode": 0, "out": "MemTotal:         987654 kB\nMemFree: 1 kB\n"}
        return {"exitcode": 0, "out": json.dumps({"blockdevices": [{"name": "vda", "serial": None, "size": 3 * GIB}]})}


def node(compute) -> Node:
    return Node("n", Path("/n"), compute, None, None, "qemu", "s", disk_images=None, consoles=None,
                config_drives=None)


def test_offline_vcpus_are_brought_online_up_to_the_flavors():
    guest = Guest()
    state = guest_agent.sizing(node(guest), "h1", want_vcpus=2)
    assert guest.set_calls == [{"vcpus": [{"logical-id": 1, "online": True}]}]
    assert state == {"vcpus": 2, "mem_kb": 987654, "blocks": [{"name": "vda", "serial": None, "size_bytes": 3 * GIB}]}


def test_no_vcpu_is_brought_online_past_the_flavors():
    guest = Guest()
    assert guest_agent.sizing(node(guest), "h1", want_vcpus=1)["vcpus"] == 1
    assert guest.set_calls == []


def test_a_resize_is_seen_through_the_agent():
    outcome = resize.wait_guest_sized(node(Guest()), {"host_id": "h1", "vcpus": 2, "ram_mb": 1024, "disk_gb": 3,
                                                      "readiness": "agent"})
    assert outcome.data["guest"]["vcpus"] == 2


def test_without_a_way_into_the_guest_a_resize_is_not_checked_and_says_so():
    outcome = resize.wait_guest_sized(node(None), {"host_id": "h1", "vcpus": 2, "ram_mb": 1024, "disk_gb": 3,
                                                   "readiness": "none"})
    assert not outcome.changed and "not checked" in outcome.note
