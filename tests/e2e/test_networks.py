"""Networks through the API: a host of an environment that requires two traffic classes
(the stack sets HOSTFLOW_ENV_TRAFFIC_CLASSES=e2enet=vm,storage) gets a NIC on each
network's bridge with an address from each; a network with no address left fails the
next allocate with no_address leaving nothing behind; reclaim releases every address."""
import uuid

import pytest
import requests

from infra import console
from infra.netlink import Netlink
from tests.e2e.conftest import NOTHING, leftovers, unique_name

ENV = "e2enet"
# A /30 with its gateway: exactly one address for a host.
STORAGE = {"name": "e2est", "traffic_class": "storage", "env": ENV, "subnet": "10.219.0.0/30",
           "gateway": "10.219.0.1", "mtu": 1400}


@pytest.fixture(scope="module")
def storage_network(api, settings):
    api.delete(f"/v1/networks/{STORAGE['name']}")  # an interrupted earlier run
    resp = api.post("/v1/networks", STORAGE)
    assert resp.status_code == 201, resp.text
    yield resp.json()["network"]
    api.delete(f"/v1/networks/{STORAGE['name']}")
    Netlink(settings.stack_id).remove_marked(resp.json()["network"]["bridge"])


@pytest.fixture(scope="module")
def host(api, storage_network):
    accepted = api.allocate(unique_name("e2e-net"), env=ENV)
    op = api.wait(accepted["operation"]["id"])
    yield {"id": accepted["host"]["id"], "op": op}
    resp = api.delete(f"/v1/hosts/{accepted['host']['id']}")
    if resp.status_code == 202:  # its addresses released before the network is deleted
        api.wait(resp.json()["operation"]["id"])


def test_a_viewer_cannot_create_networks(api):
    from infra.db.engine import database
    from infra.db.tokens import TokenStore
    from infra.settings import Settings

    token = TokenStore(database(Settings.from_env().database_url)).create(f"e2e-viewer-{uuid.uuid4().hex[:6]}",
                                                                          "viewer")
    resp = requests.post(api.url + "/v1/networks", json={**STORAGE, "name": "nope"}, timeout=10,
                         headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 403


def test_the_host_gets_a_nic_and_an_address_per_traffic_class(api, host, storage_network, settings):
    assert host["op"]["state"] == "succeeded", host["op"]["error"]
    addresses = api.get(f"/v1/hosts/{host['id']}").json()["host"]["addresses"]
    assert [a["network"] for a in addresses] == ["vm", "e2est"]
    assert addresses[1]["cidr"] == "10.219.0.2/30"
    assert addresses[0]["mac"] != addresses[1]["mac"]


def test_the_guest_reports_both_addresses(api, host, settings):
    got = api.get(f"/v1/hosts/{host['id']}").json()["host"]
    log = settings.state_dir / "nodes" / got["hypervisor"] / "instances" / host["id"] / "console.log"
    reported = {a["mac"]: a["cidr"] for a in console.latest(log)["addresses"]}
    assert reported == {a["mac"]: a["cidr"] for a in got["addresses"]}


def test_each_nic_sits_on_its_network_bridge(host, libvirt, storage_network):
    import xml.etree.ElementTree as ET

    xml = ET.fromstring(libvirt.xml(f"hf-{host['id']}"))
    bridges = [i.find("source").get("bridge") for i in xml.iter("interface")]
    assert bridges == ["hfbr-vm", storage_network["bridge"]]


def test_an_exhausted_network_fails_allocate_with_no_address_leaving_nothing(api, host, settings, libvirt):
    accepted = api.allocate(unique_name("e2e-net"), env=ENV)
    op = api.wait(accepted["operation"]["id"])
    assert op["state"] in {"failed", "rolled_back"} and op["error"]["code"] == "no_address", op
    assert leftovers(settings, libvirt, accepted["host"]["id"]) == NOTHING


def test_the_network_cannot_be_deleted_while_it_has_addresses(api, host):
    resp = api.delete(f"/v1/networks/{STORAGE['name']}")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "network_in_use"


def test_reclaim_releases_every_address(api, host, settings, libvirt):
    op = api.wait(api.delete(f"/v1/hosts/{host['id']}").json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    assert leftovers(settings, libvirt, host["id"]) == NOTHING
