"""How a guest proves it is up: the image's strategy (functions.readiness), and
wait_guest_up following it against a guest agent that answers late."""
from pathlib import Path

import pytest

from flows.allocate_host import _wait_request
from functions import compute, readiness
from functions.node import Node
from infra.errors import ComputeError, GuestNotReady

NICS = [{"name": "lo", "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "127.0.0.1", "prefix": 8}]},
        {"name": "eth0", "hardware-address": "52:54:00:00:00:01",
         "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "10.0.0.5", "prefix": 24},
                          {"ip-address-type": "ipv6", "ip-address": "fe80::1", "prefix": 64}]}]
REQ = {"host_id": "h1", "hostname": "web1", "addresses": ["10.0.0.5/24"], "readiness": "agent", "timeout": 3}


@pytest.mark.parametrize("properties, expected", [
    ({"hw_qemu_guest_agent": "yes"}, "agent"),
    ({"hw_qemu_guest_agent": "True"}, "agent"),
    ({"hw_qemu_guest_agent": "no"}, "none"),
    ({}, "none"),
    ({"os_command_line": "console=ttyS0"}, "none"),
    ({"hostflow_readiness": "serial", "hw_qemu_guest_agent": "yes"}, "serial"),
    ({"hostflow_readiness": "none", "hw_qemu_guest_agent": "yes"}, "none"),
    ({"hostflow_readiness": "bogus", "hw_qemu_guest_agent": "yes"}, "agent"),
])
def test_the_strategy_comes_from_the_images_properties(properties, expected):
    assert readiness.strategy(properties) == expected


class Agent:
    """A domain whose agent answers from the `answers_after`-th ping on, with `hostname`."""

    def __init__(self, answers_after: int = 0, hostname: str = "web1", state: str = "running"):
        self.pings, self.answers_after, self.hostname, self.domain_state = 0, answers_after, hostname, state

    def agent(self, name, command, arguments=None, timeout=2):
        if command == "guest-ping":
            self.pings += 1
            return {} if self.pings > self.answers_after else None
        return {"guest-get-host-name": {"host-name": self.hostname},
                "guest-network-get-interfaces": NICS}[command]

    def state(self, name):
        return self.domain_state


class Console:
    def tail(self, log, lines=50):
        return "[ 1.0] kernel panic"


def node(compute) -> Node:
    return Node("n", Path("/n"), compute, None, None, "qemu", "s", disk_images=None, consoles=Console(),
                config_drives=None)


def test_the_agent_reporting_the_name_and_every_address_is_up(monkeypatch):
    monkeypatch.setattr(compute.time, "sleep", lambda _s: None)
    agent = Agent(answers_after=3)
    outcome = compute.wait_guest_up(node(agent), REQ)
    assert outcome.after == "up" and agent.pings == 4
    assert outcome.data["guest"] == {"hostname": "web1", "readiness": "agent",
                                     "addresses": [{"ifname": "lo", "cidr": "127.0.0.1/8"},
                                                   {"ifname": "eth0", "cidr": "10.0.0.5/24"}]}


def test_an_fqdn_from_the_agent_counts_by_its_first_label():
    assert compute.wait_guest_up(node(Agent(hostname="web1.test.cloud.internal")), REQ).after == "up"


def test_an_agent_reporting_another_name_is_not_ready_saying_what_it_saw(monkeypatch):
    monkeypatch.setattr(compute.time, "sleep", lambda _s: None)
    with pytest.raises(GuestNotReady) as info:
        compute.wait_guest_up(node(Agent(hostname="localhost")), {**REQ, "timeout": 0.05})
    assert info.value.code == "guest_not_ready"
    assert "'hostname': 'localhost'" in str(info.value) and "kernel panic" in str(info.value)
    assert info.value.details == {"console_tail": "[ 1.0] kernel panic"}


def test_an_agent_that_never_answers_times_out_saying_so(monkeypatch):
    monkeypatch.setattr(compute.time, "sleep", lambda _s: None)
    with pytest.raises(GuestNotReady, match="the guest agent never answered"):
        compute.wait_guest_up(node(Agent(answers_after=10**9)), {**REQ, "timeout": 0.05})


def test_a_domain_that_stops_while_its_agent_is_awaited_is_guest_died(monkeypatch):
    monkeypatch.setattr(compute.time, "sleep", lambda _s: None)
    with pytest.raises(ComputeError) as info:
        compute.wait_guest_up(node(Agent(answers_after=10**9, state="shutoff")), REQ)
    assert info.value.code == "guest_died"


def test_an_image_without_readiness_is_up_once_its_domain_runs():
    outcome = compute.wait_guest_up(node(Agent(answers_after=10**9)), {**REQ, "readiness": "none"})
    assert (outcome.after, outcome.data) == ("running", {"guest": {"readiness": "none"}})


def test_an_image_without_readiness_whose_domain_is_not_running_is_guest_died():
    with pytest.raises(ComputeError) as info:
        compute.wait_guest_up(node(Agent(state="shutoff")), {**REQ, "readiness": "none"})
    assert info.value.code == "guest_died"


def test_a_snapshot_proves_it_is_up_as_its_source_image_did():
    from infra.db.image_lifecycle import snapshot_record

    host = {"id": "h1", "project": "p", "flavor": {"disk_gb": 2}}
    source = {"id": "i1", "properties": {"hw_qemu_guest_agent": "yes", "os_distro": "debian", "owner_note": "x"}}
    record = snapshot_record("i2", "snap", host, source)
    assert readiness.strategy(record.properties) == "agent"
    assert "owner_note" not in record.properties and record.properties["os_distro"] == "debian"


def test_a_failed_steps_details_reach_the_flow():
    """The console tail a node sends with guest_not_ready is not dropped on the way back."""
    from types import SimpleNamespace

    from infra.errors import StepFailed
    from infra.queue import Result, _payload

    error = GuestNotReady("not up", details={"console_tail": "panic"}).to_dict()
    result = SimpleNamespace(type=Result.Type.SUCCESSFUL, return_value={"ok": False, "error": error})
    with pytest.raises(StepFailed) as info:
        _payload(None, result)
    assert (info.value.code, info.value.details) == ("guest_not_ready", {"console_tail": "panic"})


@pytest.mark.parametrize("value, expected", [("300", 300.0), ("20.5", 20.5), ("9000", 540.0), ("0", None),
                                             ("-5", None), ("soon", None), (None, None)])
def test_an_image_may_set_how_long_its_guest_is_waited_for(value, expected):
    properties = {} if value is None else {"hostflow_boot_timeout": value}
    assert readiness.boot_timeout(properties, 540.0) == expected


def test_the_images_boot_timeout_reaches_the_wait_for_the_guest():
    ctx = {"host_id": "h1", "name": "web1", "lease": {"cidr": "10.0.0.5/24"}, "boot_timeout": 20.0}
    assert _wait_request(ctx)["timeout"] == 20.0
    assert "timeout" not in _wait_request({**ctx, "boot_timeout": None})
