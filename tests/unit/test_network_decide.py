"""Networks as data: traffic classes per environment, a host's NICs, the config drive,
the node function's plan."""
import yaml

from flows.allocate_host import _nics, _wait_request
from functions.cloud_init import contents
from functions.networks import decide_networks, segment_for
from infra.netlink import Segment, Uplink
from infra.settings import Settings


def test_traffic_classes_per_environment_vm_first_default_vm_only():
    s = Settings.from_env({"HOSTFLOW_ENV_TRAFFIC_CLASSES": "test=share,vm; prod=vm,storage,share"})
    assert s.traffic_classes("test") == ["vm", "share"]
    assert s.traffic_classes("prod") == ["vm", "storage", "share"]
    assert s.traffic_classes("dev") == ["vm"]
    assert Settings.from_env({}).traffic_classes("test") == ["vm"]


CTX = {"host_id": "h1", "name": "web1", "bridge": "hfbr-vm",
       "networks": [{"name": "vm", "bridge": "hfbr-vm", "mtu": 1500},
                    {"name": "st", "bridge": "hfbr-st", "mtu": 1450}],
       "leases": [{"network": "vm", "mac": "52:54:00:00:00:01", "cidr": "10.0.0.5/24", "gateway": "10.0.0.1"},
                  {"network": "st", "mac": "52:54:00:00:00:02", "cidr": "10.1.0.5/24", "gateway": "10.1.0.1"}]}


def test_one_nic_per_lease_on_its_bridge_with_the_default_route_on_the_first():
    assert _nics(CTX) == [
        {"mac": "52:54:00:00:00:01", "cidr": "10.0.0.5/24", "gateway": "10.0.0.1", "bridge": "hfbr-vm"},
        {"mac": "52:54:00:00:00:02", "cidr": "10.1.0.5/24", "gateway": None, "bridge": "hfbr-st", "mtu": 1450}]
    assert _wait_request(CTX)["addresses"] == ["10.0.0.5/24", "10.1.0.5/24"]


def test_a_context_from_before_networks_still_gives_one_nic():
    old = {"host_id": "h1", "name": "web1", "bridge": "hfbr-vm",
           "lease": {"network": "vm", "mac": "52:54:00:00:00:01", "cidr": "10.0.0.5/24", "gateway": "10.0.0.1"}}
    assert [n["bridge"] for n in _nics(old)] == ["hfbr-vm"]


def test_network_config_sets_every_nic_by_mac():
    config = yaml.safe_load(contents({"host_id": "h1", "hostname": "web1", "nics": _nics(CTX)})["network-config"])
    eths = list(config["ethernets"].values())
    assert [e["match"]["macaddress"] for e in eths] == [n["mac"] for n in _nics(CTX)]
    assert [("gateway4" in e) for e in eths] == [True, False]
    assert eths[1]["set-name"] == "eth1" and eths[1]["addresses"] == ["10.1.0.5/24"] and eths[1]["mtu"] == 1450


def test_segments_from_records():
    vx = segment_for({"name": "st", "bridge": "hfbr-st", "segmentation": "vxlan", "segment_id": 9,
                      "underlay": "eth1", "uplink": "hfvx-st", "peers": ["192.0.2.1"], "mtu": 1450})
    assert vx == Segment("hfbr-st", 1450, Uplink("vxlan", "hfvx-st", 9, "eth1", ("192.0.2.1",)))
    assert segment_for({"name": "vm", "bridge": "hfbr-vm", "segmentation": "none", "mtu": 1500}).uplink is None


SEG = Segment("hfbr-st", 1450, Uplink("vxlan", "hfvx-st", 9, "eth1"))
UP = {"hfbr-st": {"up": True, "mtu": 1450, "master": None}, "hfvx-st": {"up": True, "mtu": 1450, "master": "hfbr-st"}}


def test_plan_is_none_when_converged_and_says_what_is_missing_or_off():
    assert decide_networks(UP, [SEG]).action == "none"
    assert decide_networks({**UP, "hfvx-st": None}, [SEG]).detail == "hfvx-st"
    loose = {**UP, "hfvx-st": {**UP["hfvx-st"], "master": None}}
    assert decide_networks(loose, [SEG]).action == "update"
