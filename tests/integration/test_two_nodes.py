"""Two hypervisor nodes, each a network namespace, joined by a veth underlay the test
makes; each node's `network` function builds the `vm` and `storage` networks over
VXLAN. Probe namespaces on the node bridges stand in for guests. Nothing leaves the
machine: the only links are the ones made here, and every namespace is removed."""
import subprocess

import pytest

from functions.networks import ensure_networks
from functions.node import Node
from infra.netlink import Netlink
from tests.netns import address, fresh_netns, link_up, remove_netns, veth

STACK = "hostflow-test"
UNDERLAY = {"n1": "10.252.0.1", "n2": "10.252.0.2"}
VM = {"name": "vm", "bridge": "hfbr-t2vm", "segmentation": "vxlan", "segment_id": 6001, "uplink": "hfvx-t2vm",
      "peers": list(UNDERLAY.values()), "mtu": 1450}
STORAGE = {"name": "storage", "bridge": "hfbr-t2st", "segmentation": "vxlan", "segment_id": 6002,
           "uplink": "hfvx-t2st", "peers": list(UNDERLAY.values()), "mtu": 1450}
GUESTS = {  # probe namespace: (node, network, address)
    "hf-t-g1vm": ("n1", VM, "10.253.1.11/24"), "hf-t-g2vm": ("n2", VM, "10.253.1.12/24"),
    "hf-t-g1st": ("n1", STORAGE, "10.253.2.11/24"), "hf-t-g2st": ("n2", STORAGE, "10.253.2.12/24"),
}


def node_ns(node: str) -> str:
    return f"hf-t-{node}"


def records(node: str) -> list[dict]:
    return [{**net, "underlay": f"ul-{node}"} for net in (VM, STORAGE)]


def make_node(node: str, tmp_path) -> Node:
    return Node(name=node, root=tmp_path, compute=None, images=None, netlink=Netlink(STACK, netns=node_ns(node)),
                disk_images=None, consoles=None, config_drives=None, virt_type="qemu", stack=STACK)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    names = [node_ns(n) for n in UNDERLAY] + list(GUESTS)
    for ns in names:
        fresh_netns(ns)
        _no_ipv6(ns)
    veth("ul-n1", node_ns("n1"), "ul-n2", node_ns("n2"))
    for node, ip in UNDERLAY.items():
        address(node_ns(node), f"ul-{node}", f"{ip}/24")
    built = {n: make_node(n, tmp_path_factory.mktemp(n)) for n in UNDERLAY}
    outcomes = {n: ensure_networks(built[n], {"networks": records(n)}) for n in built}
    for guest, (node, net, cidr) in GUESTS.items():
        port = "p-" + guest[-4:]
        veth(port, node_ns(node), "eth0", guest)
        link_up(node_ns(node), port, master=net["bridge"])
        address(guest, "eth0", cidr, mtu=net["mtu"])
    yield built, outcomes
    for ns in names:
        remove_netns(ns)


def _no_ipv6(ns: str) -> None:
    """No router solicitations or MLD reports: the counters then show only the test's traffic."""
    subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1"], check=True)


def ping(ns: str, target: str, count: int = 3, size: int = 56) -> bool:
    done = subprocess.run(["ip", "netns", "exec", ns, "ping", "-c", str(count), "-i", "0.05", "-W", "1",
                           "-s", str(size), target], capture_output=True, text=True)
    return done.returncode == 0


def bytes_through(node: Node, net: dict) -> int:
    c = node.netlink.counters(net["uplink"])
    return c["rx_bytes"] + c["tx_bytes"]


def test_each_node_built_both_networks_and_a_second_run_changes_nothing(nodes):
    built, outcomes = nodes
    assert all(o.changed for o in outcomes.values())
    for name, node in built.items():
        assert not ensure_networks(node, {"networks": records(name)}).changed
        assert node.netlink.marked() == ["hfbr-t2st", "hfbr-t2vm", "hfvx-t2st", "hfvx-t2vm"]


def test_a_guest_on_node_1_reaches_node_2_over_the_vm_network(nodes):
    assert ping("hf-t-g1vm", "10.253.1.12")
    assert ping("hf-t-g2st", "10.253.2.11")


def test_the_networks_do_not_reach_each_other(nodes):
    assert not ping("hf-t-g1vm", "10.253.2.12", count=1)


@pytest.mark.parametrize("busy,quiet,source,target", [
    (STORAGE, VM, "hf-t-g1st", "10.253.2.12"),
    (VM, STORAGE, "hf-t-g1vm", "10.253.1.12"),
])
def test_traffic_on_one_network_does_not_appear_on_the_other(nodes, busy, quiet, source, target):
    built, _ = nodes
    before = {n: (bytes_through(node, busy), bytes_through(node, quiet)) for n, node in built.items()}
    assert ping(source, target, count=40, size=1000)
    for name, node in built.items():
        busy_delta = bytes_through(node, busy) - before[name][0]
        quiet_delta = bytes_through(node, quiet) - before[name][1]
        assert busy_delta >= 40 * 1000, (name, busy_delta)
        # not one 1000-byte echo crossed; the other network may carry a stray ARP refresh
        assert quiet_delta < 1000, (name, quiet["name"], quiet_delta)
