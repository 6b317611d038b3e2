"""Business domain names through the API (a fake DNS server): what is recorded when
accepted, and each refusal answered with a clear 4xx that changes nothing."""
import json
import uuid

import pytest

from infra.db.models import DnsRecord, Host, Operation
from infra.dns import RRset
from tests.fakes import record_only
from tests.unit.test_dns_decide import FakeServer

NAMES = "/v1/hosts/h1/names"


@pytest.fixture
def client(api):
    """A host with an address, a fake authoritative server; operations recorded, not queued."""
    record_only(api.svc)
    api.svc.planner.control.dns = FakeServer()
    with api.svc.operations.db.session() as s:
        s.add(Host(id="h1", name="web1", env="test", fqdn="web1.test.cloud.internal", state="active",
                   hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1,
                   addresses=[{"network": "vm", "address": "10.213.0.5", "cidr": "10.213.0.5/24"}]))
    return api


def send(client, method, path, body=None, token=None, key=None):
    headers = {"Authorization": f"Bearer {token or client.admin}", "Content-Type": "application/json",
               "Idempotency-Key": key or str(uuid.uuid4())}
    return client.open(path, method=method, data=None if body is None else json.dumps(body), headers=headers)


def count(client, model) -> int:
    with client.svc.operations.db.session() as s:
        return s.query(model).count()


def assert_refused(client, resp, status, code):
    assert resp.status_code == status, resp.json
    assert resp.json["error"]["code"] == code
    assert count(client, Operation) == 0 and count(client, DnsRecord) == 0
    assert client.svc.planner.control.dns.updates == 0


def test_a_cname_is_accepted_as_an_operation_for_the_host(client):
    resp = send(client, "POST", NAMES, {"fqdn": "WWW.Test.Cloud.Internal.", "type": "CNAME"}, key="k1")
    assert resp.status_code == 202, resp.json
    op = client.svc.operations.get(resp.json["operation"]["id"])
    assert op["kind"] == "register_domain_name" and op["host_id"] == "h1"
    assert op["params"] == {"host_id": "h1", "fqdn": "www.test.cloud.internal", "type": "CNAME", "ttl": None,
                            "force": False}
    again = send(client, "POST", NAMES, {"fqdn": "www.test.cloud.internal", "type": "CNAME"}, key="k1")
    assert again.json["operation"]["id"] == op["id"]


@pytest.mark.parametrize("body", [
    {"fqdn": "not_a_name.cloud.internal", "type": "A"},
    {"fqdn": "single-label", "type": "A"},
    {"fqdn": "a..cloud.internal", "type": "A"},
    {"fqdn": ("x" * 64) + ".cloud.internal", "type": "A"},
    {"fqdn": "www.cloud.internal", "type": "MX"},
    {"fqdn": "www.cloud.internal", "type": "A", "ttl": 5},
    {"fqdn": "www.cloud.internal", "type": "A", "force": "yes"},
    {"fqdn": "www.cloud.internal", "type": "A", "extra": 1},
])
def test_a_malformed_request_is_invalid(client, body):
    assert_refused(client, send(client, "POST", NAMES, body), 422, "invalid_request")


@pytest.mark.parametrize("fqdn", ["www.example.com", "cloud.internal", "www.evilcloud.internal",
                                  "5.0.213.10.in-addr.arpa"])
def test_a_name_outside_the_managed_zone_is_refused(client, fqdn):
    assert_refused(client, send(client, "POST", NAMES, {"fqdn": fqdn, "type": "A"}), 422, "outside_managed_zones")


def test_a_cname_where_another_type_exists_is_a_conflict(client):
    client.svc.planner.control.dns.sets[("www.test.cloud.internal", "TXT")] = RRset("TXT", 300, ('"x"',))
    resp = send(client, "POST", NAMES, {"fqdn": "www.test.cloud.internal", "type": "CNAME", "force": True})
    assert_refused(client, resp, 409, "cname_conflict")


def test_a_name_pointing_elsewhere_is_a_conflict_unless_forced(client):
    client.svc.planner.control.dns.sets[("www.test.cloud.internal", "A")] = RRset("A", 300, ("10.9.9.9",))
    resp = send(client, "POST", NAMES, {"fqdn": "www.test.cloud.internal", "type": "A"})
    assert_refused(client, resp, 409, "name_taken")
    forced = send(client, "POST", NAMES, {"fqdn": "www.test.cloud.internal", "type": "A", "force": True})
    assert forced.status_code == 202 and count(client, Operation) == 1


def test_with_the_server_down_the_request_is_recorded_for_the_flow_to_fail_and_retry(client, monkeypatch):
    client.svc.planner.control.dns.down = True
    resp = send(client, "POST", NAMES, {"fqdn": "www.test.cloud.internal", "type": "A"})
    assert resp.status_code == 202 and count(client, Operation) == 1


def test_a_host_being_deleted_gets_no_name(client):
    client.svc.hosts.update("h1", state="deleting")
    resp = send(client, "POST", NAMES, {"fqdn": "www.test.cloud.internal", "type": "A"})
    assert_refused(client, resp, 409, "host_busy")


def test_an_unknown_host_is_not_found(client):
    resp = send(client, "POST", "/v1/hosts/nope/names", {"fqdn": "www.test.cloud.internal", "type": "A"})
    assert_refused(client, resp, 404, "host_not_found")


def test_a_viewer_cannot_register(client):
    resp = send(client, "POST", NAMES, {"fqdn": "www.test.cloud.internal", "type": "A"}, token=client.viewer)
    assert_refused(client, resp, 403, "forbidden")


def test_removing_a_name_the_host_does_not_have_is_not_found(client):
    resp = send(client, "DELETE", f"{NAMES}/www.test.cloud.internal")
    assert_refused(client, resp, 404, "name_not_found")


def test_removing_a_business_name_is_an_operation(client):
    client.svc.planner.control.dns_records.claim("www.test.cloud.internal", "A", "10.213.0.5", 300, "h1",
                                                 "business")
    resp = send(client, "DELETE", f"{NAMES}/www.test.cloud.internal")
    assert resp.status_code == 202
    assert client.svc.operations.get(resp.json["operation"]["id"])["kind"] == "remove_domain_name"


def test_the_records_are_listed(client):
    client.svc.planner.control.dns_records.claim("www.test.cloud.internal", "A", "10.213.0.5", 300, "h1",
                                                 "business")
    records = send(client, "GET", "/v1/dns/records?host_id=h1").json["records"]
    assert [(r["fqdn"], r["type"], r["value"], r["kind"]) for r in records] == [
        ("www.test.cloud.internal", "A", "10.213.0.5", "business")]



def test_force_does_not_take_the_name_servers_name(client):
    client.svc.planner.control.dns.sets[("cloud.internal", "NS")] = RRset("NS", 300, ("ns.cloud.internal.",))
    client.svc.planner.control.dns.sets[("ns.cloud.internal", "A")] = RRset("A", 300, ("10.213.0.2",))
    resp = send(client, "POST", NAMES, {"fqdn": "ns.cloud.internal", "type": "A", "force": True})
    assert_refused(client, resp, 409, "name_reserved")


def test_force_does_not_take_another_projects_name_and_the_409_names_no_host(client):
    with client.svc.operations.db.session() as s:
        s.add(Host(id="h-theirs", name="shop", env="test", project="beta", fqdn="shop.test.cloud.internal",
                   state="active", hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1))
        s.add(DnsRecord(fqdn="www.cloud.internal", type="CNAME", host_id="h-theirs", kind="business",
                        value="shop.test.cloud.internal", ttl=300, state="active"))
    client.svc.planner.control.dns.sets[("www.cloud.internal", "CNAME")] = RRset(
        "CNAME", 300, ("shop.test.cloud.internal.",))
    resp = send(client, "POST", NAMES, {"fqdn": "www.cloud.internal", "type": "CNAME", "force": True})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "name_taken"
    assert "h-theirs" not in json.dumps(resp.json) and "shop" not in json.dumps(resp.json)
    assert count(client, Operation) == 0
