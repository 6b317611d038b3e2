"""The `network` node function against the real kernel, inside a namespace the test
makes (nothing touches the host's own links): bridges, VXLAN uplinks, MTU, marks,
idempotency, pruning; VLAN where the kernel has 802.1Q."""
import pytest

from functions.networks import ensure_networks, plan_networks
from functions.node import Node
from infra.netlink import Netlink, NetworkError
from tests.netns import address, fresh_netns, kernel_has_vlan, remove_netns, veth

NS, STACK = "hf-t-netfn", "hostflow-test"
VM = {"name": "vm", "bridge": "hfbr-tvm", "segmentation": "none", "mtu": 1500}
STORAGE = {"name": "storage", "bridge": "hfbr-tst", "segmentation": "vxlan", "segment_id": 5001,
           "underlay": "ul0", "uplink": "hfvx-tst", "peers": ["10.251.0.1", "10.251.0.2"], "mtu": 1450}


@pytest.fixture
def node(tmp_path):
    fresh_netns(NS)
    veth("ul0", NS, "ul1", NS)
    address(NS, "ul0", "10.251.0.1/24")
    yield Node(name="n1", root=tmp_path, compute=None, images=None, netlink=Netlink(STACK, netns=NS),
               disk_images=None, consoles=None, config_drives=None, virt_type="qemu", stack=STACK)
    remove_netns(NS)


def test_creates_bridges_and_a_vxlan_uplink_then_changes_nothing(node):
    first = ensure_networks(node, {"networks": [VM, STORAGE]})
    second = ensure_networks(node, {"networks": [VM, STORAGE]})
    assert first.changed and "hfvx-tst: created (vxlan)" in first.note
    assert not second.changed and second.note == "already done"
    uplink = node.netlink.link_state("hfvx-tst")
    assert (uplink["kind"], uplink["master"], uplink["mtu"], uplink["up"]) == ("vxlan", "hfbr-tst", 1450, True)
    assert node.netlink.link_state("hfbr-tst")["mtu"] == 1450
    assert node.netlink.marked() == ["hfbr-tst", "hfbr-tvm", "hfvx-tst"]


def test_the_flood_list_names_every_peer_but_itself(node):
    note = ensure_networks(node, {"networks": [STORAGE]}).note
    assert "peer 10.251.0.2 added" in note and "peer 10.251.0.1" not in note
    moved = {**STORAGE, "peers": ["10.251.0.1", "10.251.0.3"]}
    again = ensure_networks(node, {"networks": [moved]}).note
    assert "peer 10.251.0.3 added" in again and "peer 10.251.0.2 removed" in again


def test_a_drifted_node_is_put_back(node):
    ensure_networks(node, {"networks": [STORAGE]})
    from pyroute2 import IPRoute

    with IPRoute(netns=NS) as ipr:
        ipr.link("set", index=ipr.link_lookup(ifname="hfvx-tst")[0], state="down", master=0)
    assert plan_networks(node, {"networks": [STORAGE]}).action == "update"
    outcome = ensure_networks(node, {"networks": [STORAGE]})
    assert outcome.note == "hfvx-tst: enslaved; hfvx-tst: up"
    assert plan_networks(node, {"networks": [STORAGE]}).action == "none"


def test_a_changed_vni_replaces_the_marked_uplink(node):
    ensure_networks(node, {"networks": [STORAGE]})
    outcome = ensure_networks(node, {"networks": [{**STORAGE, "segment_id": 5002}]})
    assert "hfvx-tst: removed (differed)" in outcome.note and "hfvx-tst: created (vxlan)" in outcome.note


def test_prune_removes_only_marked_interfaces_no_longer_listed(node):
    from pyroute2 import IPRoute

    ensure_networks(node, {"networks": [VM, STORAGE]})
    with IPRoute(netns=NS) as ipr:
        ipr.link("add", ifname="hfbr-foreign", kind="bridge")
    outcome = ensure_networks(node, {"networks": [VM], "prune": True})
    assert "hfvx-tst: removed" in outcome.note and "hfbr-tst: removed" in outcome.note
    assert node.netlink.marked() == ["hfbr-tvm"]
    assert node.netlink.link_state("hfbr-foreign") is not None
    assert not ensure_networks(node, {"networks": [VM], "prune": True}).changed


def test_an_unmarked_interface_in_the_way_is_left_alone(node):
    from pyroute2 import IPRoute

    with IPRoute(netns=NS) as ipr:
        ipr.link("add", ifname="hfvx-tst", kind="veth", peer="hfvx-peer")
    with pytest.raises(NetworkError) as info:
        ensure_networks(node, {"networks": [STORAGE]})
    assert info.value.code == "network_conflict"
    assert node.netlink.link_state("hfvx-tst")["kind"] == "veth"


def test_a_missing_underlay_is_a_clear_error(node):
    with pytest.raises(NetworkError) as info:
        ensure_networks(node, {"networks": [{**STORAGE, "underlay": "nope0"}]})
    assert info.value.code == "no_underlay"


VLAN_SUPPORTED, VLAN_REASON = kernel_has_vlan()


@pytest.mark.skipif(not VLAN_SUPPORTED, reason=VLAN_REASON)
def test_a_vlan_uplink_on_the_underlay(node):
    vlan = {"name": "st", "bridge": "hfbr-tvl", "segmentation": "vlan", "segment_id": 42, "underlay": "ul0",
            "uplink": "hfvl-tvl", "mtu": 1500}
    assert ensure_networks(node, {"networks": [vlan]}).changed
    assert not ensure_networks(node, {"networks": [vlan]}).changed
    state = node.netlink.link_state("hfvl-tvl")
    assert (state["kind"], state["master"]) == ("vlan", "hfbr-tvl")


@pytest.mark.skipif(VLAN_SUPPORTED, reason="the kernel has 802.1Q: the VLAN test above runs instead")
def test_without_802_1q_a_vlan_network_fails_clearly(node):
    vlan = {"name": "st", "bridge": "hfbr-tvl", "segmentation": "vlan", "segment_id": 42, "underlay": "ul0",
            "uplink": "hfvl-tvl", "mtu": 1500}
    with pytest.raises(NetworkError) as info:
        ensure_networks(node, {"networks": [vlan]})
    assert info.value.code == "link_unsupported"
