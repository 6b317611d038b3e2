"""The DNS decide step as data, the name helpers, and the functions against fakes."""
import pytest

from functions import dns
from functions.node import Control
from infra.dns import RRset
from infra.dns_names import is_fqdn, normalise, ptr_name, reverse_zone, zone_of
from infra.errors import Conflict, DnsUnavailable, Invalid

HOST, OTHER = "h1", "h2"


def want(rtype="A", value="10.213.0.5", ttl=300, host=HOST, kind="business", force=False, project="alpha"):
    return dns.Want("www.test.cloud.internal", rtype, value, ttl, host, kind, force, project)


def rr(rtype, *values, ttl=300):
    return {rtype: RRset(rtype, ttl, tuple(values))}


def owner(host=HOST, kind="business", project="alpha"):
    return {"host_id": host, "kind": kind, "state": "active", "project": project}


@pytest.mark.parametrize("present, owned, action", [
    ({}, None, "add"),
    ({}, owner(), "add"),                                  # ours, lost on the server: put back
    (rr("A", "10.213.0.5"), owner(), "none"),
    (rr("A", "10.213.0.9"), owner(), "replace"),           # ours, moved
    (rr("A", "10.213.0.5", ttl=60), owner(), "replace"),   # ours, another ttl
])
def test_hostflows_own_record_converges(present, owned, action):
    assert dns.decide(want(), present, owned) == action


@pytest.mark.parametrize("present, owned", [
    (rr("A", "10.213.0.9"), None),                         # someone else's record
    (rr("A", "10.213.0.5"), None),                         # someone else's, even with our value
    (rr("A", "10.213.0.9"), owner(OTHER)),                 # another host's of the same project
    ({}, owner(OTHER)),                                    # another host's, missing on the server
])
def test_a_name_that_is_not_ours_is_taken_unless_forced(present, owned):
    with pytest.raises(Conflict) as info:
        dns.decide(want(), present, owned)
    assert info.value.code == "name_taken"
    assert dns.decide(want(force=True), present, owned) in {"add", "replace"}


@pytest.mark.parametrize("owned", [owner(OTHER, project="beta"), owner(OTHER, project=None)])
def test_force_never_takes_another_projects_name_nor_names_its_host(owned):
    with pytest.raises(Conflict) as info:
        dns.decide(want(force=True), rr("A", "10.213.0.9"), owned)
    assert info.value.code == "name_taken" and "another project's name" in info.value.message
    assert OTHER not in info.value.message and info.value.details["owner"] is None
    assert info.value.details["values"] == []


@pytest.mark.parametrize("project", ["alpha", "beta"])
def test_force_never_takes_a_hosts_own_name(project):
    with pytest.raises(Conflict) as info:
        dns.decide(want(force=True), rr("A", "10.213.0.5"), owner(OTHER, kind="host", project=project))
    assert "a host's own name" in info.value.message


@pytest.mark.parametrize("present", [rr("NS", "ns.cloud.internal."), rr("SOA", "ns. admin. 1 2 3 4 5"), {}])
def test_the_zones_own_names_are_reserved_even_forced(present):
    with pytest.raises(Conflict) as info:
        dns.decide(want(force=True), present, None, infrastructure=True)
    assert info.value.code == "name_reserved"


@pytest.mark.parametrize("w, present", [
    (want("CNAME", "web1.test.cloud.internal"), rr("A", "10.213.0.9")),
    (want("CNAME", "web1.test.cloud.internal"), rr("TXT", '"v=spf1"')),
    (want("A"), rr("CNAME", "elsewhere.cloud.internal")),
])
def test_a_cname_beside_other_data_is_refused_even_forced(w, present):
    with pytest.raises(Conflict) as info:
        dns.decide(dns.Want(**{**w.__dict__, "force": True}), present, owner())
    assert info.value.code == "cname_conflict"


def test_dnssec_records_are_not_other_data():
    w = want("CNAME", "web1.test.cloud.internal")
    assert dns.decide(w, {**rr("RRSIG", "x"), **rr("NSEC", "y")}, None) == "add"


def test_names():
    assert normalise("WWW.Test.Cloud.Internal.") == "www.test.cloud.internal"
    assert is_fqdn("a.b") and not is_fqdn("single") and not is_fqdn("bad_label.cloud.internal")
    assert not is_fqdn("-x.cloud.internal") and not is_fqdn(("a" * 63 + ".") * 4 + "internal")
    assert reverse_zone("10.213.0.0/24") == "0.213.10.in-addr.arpa"
    assert reverse_zone("10.213.0.0/16") == "213.10.in-addr.arpa"
    assert reverse_zone("10.213.0.0/26") == "0.213.10.in-addr.arpa"
    assert ptr_name("10.213.0.7") == "7.0.213.10.in-addr.arpa"
    zones = ("cloud.internal", "0.213.10.in-addr.arpa")
    assert zone_of("web1.test.cloud.internal", zones) == "cloud.internal"
    assert zone_of("7.0.213.10.in-addr.arpa", zones) == "0.213.10.in-addr.arpa"
    assert zone_of("cloud.internal", zones) is None and zone_of("evilcloud.internal", zones) is None


# --- the functions against fakes -------------------------------------------------------

class FakeServer:
    def __init__(self, down=False):
        self.sets: dict[tuple[str, str], RRset] = {}
        self.updates, self.down = 0, down

    def _up(self):
        if self.down:
            raise DnsUnavailable("down")

    def rrsets(self, name):
        self._up()
        return {t: r for (n, t), r in self.sets.items() if n == name}

    def rrset(self, name, rtype):
        self._up()
        return self.sets.get((name, rtype))

    def replace(self, name, rtype, ttl, value):
        self._up()
        self.updates += 1
        self.sets[(name, rtype)] = RRset(rtype, ttl, (value,))

    def delete(self, name, rtype, value):
        self._up()
        self.updates += 1
        rest = tuple(v for v in self.sets[(name, rtype)].values if v != value)
        if rest:
            self.sets[(name, rtype)] = RRset(rtype, self.sets[(name, rtype)].ttl, rest)
        else:
            del self.sets[(name, rtype)]


@pytest.fixture
def ctl(db):
    from infra.db.dns_records import DnsRecordStore

    return Control(capacity=None, ipam=None, vm_network="vm", vm_subnet="10.213.0.0/24", vm_gateway="10.213.0.1",
                   dns=FakeServer(), dns_records=DnsRecordStore(db),
                   dns_zones=("cloud.internal", "0.213.10.in-addr.arpa"))


def req(**over):
    return {"fqdn": "www.test.cloud.internal", "type": "A", "value": "10.213.0.5", "host_id": HOST,
            "kind": "business", **over}


def test_ensure_is_already_done_the_second_time(ctl):
    assert dns.ensure_record(ctl, req()).changed
    again = dns.ensure_record(ctl, req())
    assert not again.changed and ctl.dns.updates == 1
    assert again.data["record"]["state"] == "active"


def test_a_failed_update_leaves_the_record_ours_and_pending_for_the_retry(ctl, monkeypatch):
    def refuse(*_args):
        raise DnsUnavailable("down")

    monkeypatch.setattr(ctl.dns, "replace", refuse)
    with pytest.raises(DnsUnavailable):
        dns.ensure_record(ctl, req())
    assert ctl.dns_records.find("www.test.cloud.internal", "A")["state"] == "pending"
    monkeypatch.undo()
    assert dns.ensure_record(ctl, req()).changed
    assert ctl.dns_records.find("www.test.cloud.internal", "A")["state"] == "active"


def test_a_record_already_on_the_server_turns_a_pending_row_active(ctl):
    dns.ensure_record(ctl, req())
    record = ctl.dns_records.find("www.test.cloud.internal", "A")
    ctl.dns_records.set_state(record["id"], "error")
    assert not dns.ensure_record(ctl, req()).changed
    assert ctl.dns_records.find("www.test.cloud.internal", "A")["state"] == "active"


def test_a_name_outside_the_zones_is_invalid(ctl):
    with pytest.raises(Invalid) as info:
        dns.ensure_record(ctl, req(fqdn="www.example.com"))
    assert info.value.code == "outside_managed_zones"


def test_remove_only_removes_the_hosts_own_value(ctl):
    dns.ensure_record(ctl, req())
    ctl.dns.sets[("www.test.cloud.internal", "A")] = RRset("A", 300, ("10.213.0.5", "10.213.0.99"))
    assert dns.remove_record(ctl, {"fqdn": "www.test.cloud.internal", "host_id": HOST}).changed
    assert ctl.dns.sets[("www.test.cloud.internal", "A")].values == ("10.213.0.99",)
    assert not dns.remove_record(ctl, {"fqdn": "www.test.cloud.internal", "host_id": HOST}).changed


def test_remove_host_records_takes_every_name_of_the_host_and_no_other(ctl):
    dns.ensure_record(ctl, req())
    dns.ensure_record(ctl, req(fqdn="5.0.213.10.in-addr.arpa", type="PTR", value="web1.test.cloud.internal",
                               kind="host"))
    dns.ensure_record(ctl, req(fqdn="other.test.cloud.internal", host_id=OTHER))
    assert dns.remove_host_records(ctl, {"host_id": HOST}).changed
    assert not dns.remove_host_records(ctl, {"host_id": HOST}).changed
    assert list(ctl.dns.sets) == [("other.test.cloud.internal", "A")]


def test_plans_observe_without_acting(ctl):
    assert dns.plan_ensure_record(ctl, req()).action == "add"
    assert dns.plan_ensure_record(ctl, req(value="(allocated when run)")).action == "ensure"
    ctl.dns.sets[("www.test.cloud.internal", "A")] = RRset("A", 300, ("10.213.0.9",))
    assert dns.plan_ensure_record(ctl, req()).action == "conflict"
    ctl.dns.down = True
    assert dns.plan_ensure_record(ctl, req()).action == "ensure"
    assert ctl.dns.updates == 0
