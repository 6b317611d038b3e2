"""The DNS adapter and functions against the stack's real BIND (TSIG-signed RFC 2136
updates), with the ownership records on SQLite and PostgreSQL. Names live under
`itest.<zone>`, each test's own."""
import os
import time
import uuid

import dns.message
import dns.query
import dns.tsig
import dns.tsigkeyring
import dns.update
import pytest

from functions.dns import ensure_record, remove_host_records, remove_record
from functions.node import Control
from infra.dns import DnsClient
from infra.dns_names import ptr_name
from infra.errors import Conflict, DnsError, DnsUnavailable
from infra.settings import Settings
from operations.bootstrap import dns_context


@pytest.fixture(scope="module")
def settings() -> Settings:
    settings = Settings.from_env()
    if not settings.dns_tsig_secret:
        pytest.fail("HOSTFLOW_DNS_TSIG_SECRET unset: source .hostflow/openrc (scripts/stack.sh up writes it)")
    return settings


@pytest.fixture
def ctl(settings, any_db) -> Control:
    return Control(capacity=None, ipam=None, vm_network="vm", vm_subnet=settings.vm_subnet,
                   vm_gateway=settings.vm_gateway, **dns_context(settings, any_db))


@pytest.fixture
def name(settings) -> str:
    return f"it-{uuid.uuid4().hex[:8]}.itest.{settings.dns_zone}"


def bare_update(settings, zone: str, name: str, rtype: str, value: str | None, secret: str | None = None):
    """A record put (or removed, value None) by someone else than hostflow, with plain dnspython."""
    keyring = dns.tsigkeyring.from_text({settings.dns_key_name: secret or settings.dns_tsig_secret})
    update = dns.update.UpdateMessage(zone + ".", keyring=keyring, keyalgorithm=dns.tsig.HMAC_SHA256)
    if value is None:
        update.delete(name + ".", rtype)
    else:
        update.replace(name + ".", 300, rtype, value)
    return dns.query.tcp(update, settings.dns_server, port=settings.dns_port, timeout=3)


def a(name, value="10.213.0.250", host="h1", **extra) -> dict:
    return {"fqdn": name, "type": "A", "value": value, "host_id": host, "kind": "business", **extra}


def test_ensure_adds_verifies_and_is_already_done_the_second_time(ctl, name):
    first = ensure_record(ctl, a(name))
    again = ensure_record(ctl, a(name))
    assert first.changed and first.after == ["10.213.0.250"]
    assert not again.changed and again.note == "already done"
    assert ctl.dns.rrset(name, "A").values == ("10.213.0.250",)
    assert ctl.dns_records.find(name, "A")["state"] == "active"
    remove_record(ctl, {"fqdn": name, "host_id": "h1"})


def test_ensure_replaces_the_hosts_own_value_and_ttl(ctl, name):
    ensure_record(ctl, a(name))
    moved = ensure_record(ctl, a(name, "10.213.0.251", ttl=60))
    got = ctl.dns.rrset(name, "A")
    assert moved.changed and moved.before == ["10.213.0.250"]
    assert got.values == ("10.213.0.251",) and got.ttl == 60
    remove_record(ctl, {"fqdn": name, "host_id": "h1"})


def test_remove_deletes_and_is_already_done_the_second_time(ctl, name):
    ensure_record(ctl, a(name))
    first = remove_record(ctl, {"fqdn": name, "host_id": "h1"})
    again = remove_record(ctl, {"fqdn": name, "host_id": "h1"})
    assert first.changed and not again.changed
    assert ctl.dns.rrset(name, "A") is None and ctl.dns_records.find(name, "A") is None


def test_a_ptr_in_the_reverse_zone_points_at_the_host_name(ctl, settings, name):
    reverse = ptr_name("10.213.0.252")
    ensure_record(ctl, {"fqdn": reverse, "type": "PTR", "value": name, "host_id": "h1", "kind": "host"})
    assert ctl.dns.rrset(reverse, "PTR").values == (name,)
    assert remove_host_records(ctl, {"host_id": "h1"}).changed
    assert ctl.dns.rrset(reverse, "PTR") is None


def test_a_foreign_record_is_never_changed_or_removed(ctl, settings, name):
    bare_update(settings, settings.dns_zone, name, "A", "10.213.0.77")
    try:
        with pytest.raises(Conflict) as info:
            ensure_record(ctl, a(name))
        assert info.value.code == "name_taken" and info.value.details["values"] == ["10.213.0.77"]
        assert not remove_record(ctl, {"fqdn": name, "host_id": "h1"}).changed
        assert ctl.dns.rrset(name, "A").values == ("10.213.0.77",)
        assert ctl.dns_records.find(name, "A") is None
    finally:
        bare_update(settings, settings.dns_zone, name, "A", None)


def test_force_takes_a_foreign_name_over(ctl, settings, name):
    bare_update(settings, settings.dns_zone, name, "A", "10.213.0.77")
    assert ensure_record(ctl, a(name, force=True)).before == ["10.213.0.77"]
    assert ctl.dns.rrset(name, "A").values == ("10.213.0.250",)
    remove_record(ctl, {"fqdn": name, "host_id": "h1"})
    assert ctl.dns.rrset(name, "A") is None


def test_a_name_owned_by_another_host_is_taken(ctl, name):
    ensure_record(ctl, a(name, host="h1"))
    with pytest.raises(Conflict) as info:
        ensure_record(ctl, a(name, "10.213.0.251", host="h2"))
    assert info.value.code == "name_taken"
    assert info.value.details["owner"] is None  # no project known to share: the owner is not named
    assert not remove_record(ctl, {"fqdn": name, "host_id": "h2"}).changed
    remove_record(ctl, {"fqdn": name, "host_id": "h1"})


def test_a_cname_beside_other_data_is_a_conflict(ctl, settings, name):
    ensure_record(ctl, a(name))
    with pytest.raises(Conflict) as info:
        ensure_record(ctl, {"fqdn": name, "type": "CNAME", "value": f"ns.{settings.dns_zone}", "host_id": "h1",
                            "kind": "business", "force": True})
    assert info.value.code == "cname_conflict"
    assert ctl.dns.rrset(name, "A").values == ("10.213.0.250",)
    remove_record(ctl, {"fqdn": name, "host_id": "h1"})


def test_a_cname_is_added_and_removed(ctl, settings, name):
    target = f"ns.{settings.dns_zone}"
    ensure_record(ctl, {"fqdn": name, "type": "CNAME", "value": target, "host_id": "h1", "kind": "business"})
    assert ctl.dns.rrsets(name)["CNAME"].values == (target,)
    remove_record(ctl, {"fqdn": name, "host_id": "h1"})
    assert ctl.dns.rrsets(name) == {}
    assert ctl.dns.rrset(target, "A").values == (settings.dns_server,)  # the zone's own record, untouched


def test_a_wrong_secret_is_refused_with_bad_signature(settings, name):
    client = DnsClient(settings.dns_server, settings.dns_port, (settings.dns_zone,), settings.dns_key_name,
                       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    with pytest.raises(DnsError) as info:
        client.replace(name, "A", 300, "10.213.0.250")
    assert info.value.code == "dns_bad_signature"


def test_an_unknown_key_is_refused_with_bad_key(settings, name):
    client = DnsClient(settings.dns_server, settings.dns_port, (settings.dns_zone,), "not-a-key",
                       settings.dns_tsig_secret)
    with pytest.raises(DnsError) as info:
        client.replace(name, "A", 300, "10.213.0.250")
    assert info.value.code == "dns_bad_key"


def test_a_clock_off_by_an_hour_is_refused_with_bad_time(settings, name, monkeypatch):
    class HourBehind:
        @staticmethod
        def time():
            return time.time() - 3600

    monkeypatch.setattr(dns.message, "time", HourBehind)
    client = DnsClient(settings.dns_server, settings.dns_port, (settings.dns_zone,), settings.dns_key_name,
                       settings.dns_tsig_secret)
    with pytest.raises(DnsError) as info:
        client.replace(name, "A", 300, "10.213.0.250")
    assert info.value.code == "dns_bad_time"


def test_a_type_the_policy_does_not_grant_is_refused(settings, name):
    client = DnsClient(settings.dns_server, settings.dns_port, (settings.dns_zone,), settings.dns_key_name,
                       settings.dns_tsig_secret)
    with pytest.raises(DnsError) as info:
        client.replace(name, "TXT", 300, '"hello"')
    assert info.value.code == "dns_refused"


def test_no_server_is_unavailable(settings, name):
    port = int(os.environ.get("HOSTFLOW_TEST_CLOSED_PORT", "9"))
    client = DnsClient("127.0.0.1", port, (settings.dns_zone,), settings.dns_key_name, settings.dns_tsig_secret,
                       timeout=1)
    with pytest.raises(DnsUnavailable):
        client.replace(name, "A", 300, "10.213.0.250")
    with pytest.raises(DnsUnavailable):
        client.rrset(name, "A")
