"""POST/GET/DELETE /v1/networks: admin only, bad input refused with nothing recorded."""
import pytest

from infra.db.tokens import TokenStore

STORAGE = {"name": "storage1", "traffic_class": "storage", "segmentation": "vxlan", "segment_id": 1001,
           "underlay": "eth1", "peers": ["192.0.2.1", "192.0.2.2"], "subnet": "10.214.0.0/24",
           "gateway": "10.214.0.1", "reserved": ["10.214.0.2-10.214.0.9"]}


def call(client, method, path, body=None, token=None):
    headers = {"Authorization": f"Bearer {token or client.admin}"}
    return client.open(path, method=method, json=body, headers=headers)


def names(client):
    return [n["name"] for n in call(client, "GET", "/v1/networks").get_json()["networks"]]


def test_the_default_vm_network_is_a_record_from_settings(api):
    vm = call(api, "GET", "/v1/networks/vm").get_json()["network"]
    settings = api.svc.settings
    assert (vm["traffic_class"], vm["bridge"], vm["subnet"], vm["gateway"], vm["segmentation"]) == (
        "vm", settings.vm_bridge, settings.vm_subnet, settings.vm_gateway, "none")


def test_create_a_vxlan_network_and_list_it(api):
    resp = call(api, "POST", "/v1/networks", STORAGE)
    assert resp.status_code == 201, resp.get_json()
    net = resp.get_json()["network"]
    assert (net["bridge"], net["uplink"], net["mtu"], net["env"]) == ("hfbr-storage1", "hfvx-storage1", 1450, None)
    assert names(api) == ["storage1", "vm"]


def test_a_long_name_gets_interface_names_within_15_characters(api):
    body = {**STORAGE, "name": "a-rather-long-network-name", "segment_id": 7}
    net = call(api, "POST", "/v1/networks", body).get_json()["network"]
    assert len(net["bridge"]) <= 15 and len(net["uplink"]) <= 15 and net["bridge"] != net["uplink"]


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_admins_create_networks(api, role):
    token = TokenStore(api.svc.operations.db).create(f"t-{role}", role)
    resp = call(api, "POST", "/v1/networks", STORAGE, token=token)
    assert resp.status_code == 403
    assert names(api) == ["vm"]


def test_an_operator_may_list_them(api):
    token = TokenStore(api.svc.operations.db).create("op", "operator")
    assert call(api, "GET", "/v1/networks", token=token).status_code == 200


@pytest.mark.parametrize("subnet", ["10.213.0.0/24", "10.213.0.128/25", "10.0.0.0/8"])
def test_a_subnet_overlapping_another_network_is_a_409(api, subnet):
    resp = call(api, "POST", "/v1/networks", {**STORAGE, "subnet": subnet, "gateway": None, "reserved": []})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "subnet_overlap"
    assert resp.get_json()["error"]["details"]["networks"] == ["vm"]
    assert names(api) == ["vm"]


@pytest.mark.parametrize("kind,segment_id", [("vxlan", 0), ("vxlan", 16777216), ("vxlan", -1), ("vlan", 0),
                                             ("vlan", 4095), ("vxlan", None)])
def test_a_segment_id_out_of_range_is_a_422(api, kind, segment_id):
    resp = call(api, "POST", "/v1/networks", {**STORAGE, "segmentation": kind, "segment_id": segment_id})
    assert resp.status_code == 422 and "segment_id" in resp.get_json()["error"]["message"]
    assert names(api) == ["vm"]


def test_the_range_limits_themselves_are_accepted(api):
    assert call(api, "POST", "/v1/networks", {**STORAGE, "segment_id": 16777215}).status_code == 201
    vlan = {**STORAGE, "name": "vl", "segmentation": "vlan", "segment_id": 4094, "subnet": "10.215.0.0/24",
            "gateway": None, "reserved": [], "peers": []}
    assert call(api, "POST", "/v1/networks", vlan).status_code == 201


@pytest.mark.parametrize("change", [
    {"gateway": "10.99.0.1"},                      # outside the subnet
    {"reserved": ["10.214.0.9-10.214.0.2"]},       # descending
    {"reserved": ["10.215.0.1"]},                  # outside
    {"subnet": "10.214.0.1/24"},                   # host bits set
    {"subnet": "10.214.0.0/31"},                   # no room
    {"underlay": None},                            # vxlan without underlay
    {"segmentation": "none"},                      # an id without segmentation
    {"mtu": 100},
    {"colour": "blue"},
])
def test_inconsistent_bodies_are_a_422(api, change):
    resp = call(api, "POST", "/v1/networks", {**STORAGE, **change})
    assert resp.status_code == 422, resp.get_json()
    assert names(api) == ["vm"]


def test_a_vni_in_use_or_a_taken_name_is_a_409(api):
    assert call(api, "POST", "/v1/networks", STORAGE).status_code == 201
    same_vni = call(api, "POST", "/v1/networks", {**STORAGE, "name": "other", "subnet": "10.216.0.0/24",
                                                  "gateway": None, "reserved": []})
    same_name = call(api, "POST", "/v1/networks", {**STORAGE, "segment_id": 5, "subnet": "10.217.0.0/24",
                                                   "gateway": None, "reserved": []})
    assert (same_vni.status_code, same_vni.get_json()["error"]["code"]) == (409, "segment_in_use")
    assert (same_name.status_code, same_name.get_json()["error"]["code"]) == (409, "network_exists")
    assert names(api) == ["storage1", "vm"]


def test_delete_refuses_a_network_with_addresses(api):
    from infra.db.ipam import IpamStore

    call(api, "POST", "/v1/networks", STORAGE)
    IpamStore(api.svc.operations.db).allocate("storage1", "10.214.0.0/24", set(), "h1")
    resp = call(api, "DELETE", "/v1/networks/storage1")
    assert (resp.status_code, resp.get_json()["error"]["code"]) == (409, "network_in_use")
    IpamStore(api.svc.operations.db).release_host("h1")
    assert call(api, "DELETE", "/v1/networks/storage1").status_code == 200
    assert names(api) == ["vm"]
