"""Domain names through the API against the stack's BIND: a host's own A and PTR,
business names added and removed, the refusals, BIND stopped mid-way and the retry,
and reclaim taking every name of the host. One guest for the module."""
import os
import signal
import subprocess
import uuid
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import dns.update
import pytest

from infra.dns_names import ptr_name
from tests.e2e.conftest import REPO, unique_name, wait_for


def answer(settings, name: str, rtype: str) -> list[str] | None:
    """The values the authoritative server answers (None: no such name or type)."""
    query = dns.message.make_query(name + ".", rtype)
    response = dns.query.udp(query, settings.dns_server, port=settings.dns_port, timeout=3)
    if response.rcode() == dns.rcode.NXDOMAIN or not response.answer:
        return None
    return sorted(r.to_text().rstrip(".") for r in response.answer[0])


def foreign(settings, name: str, value: str | None) -> None:
    """A record put (value None: removed) by someone else than hostflow."""
    keyring = dns.tsigkeyring.from_text({settings.dns_key_name: settings.dns_tsig_secret})
    update = dns.update.UpdateMessage(settings.dns_zone + ".", keyring=keyring, keyalgorithm=dns.tsig.HMAC_SHA256)
    if value is None:
        update.delete(name + ".", "A")
    else:
        update.replace(name + ".", 300, "A", value)
    assert dns.query.tcp(update, settings.dns_server, port=settings.dns_port, timeout=3).rcode() == 0


def business(settings, label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:6]}.test.{settings.dns_zone}"


@pytest.fixture(scope="module")
def host(api, settings):
    """A host allocated with one business name (`asked_names`)."""
    names = [business(settings, "shop")]
    accepted = api.allocate(unique_name("e2e-dns"), names=names)
    op = api.wait(accepted["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    yield {**api.get(f"/v1/hosts/{accepted['host']['id']}").json()["host"], "asked_names": names}
    resp = api.delete(f"/v1/hosts/{accepted['host']['id']}")
    if resp.status_code == 202:  # the next module starts with the host gone, not going
        api.wait(resp.json()["operation"]["id"])


def register(api, host, fqdn, rtype="CNAME", **extra):
    return api.post(f"/v1/hosts/{host['id']}/names", {"fqdn": fqdn, "type": rtype, **extra}, key=str(uuid.uuid4()))


def done(api, resp) -> dict:
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    return op


def address(host) -> str:
    return host["addresses"][0]["address"]


def test_allocate_registers_the_host_name_and_its_ptr(settings, host):
    assert answer(settings, host["fqdn"], "A") == [address(host)]
    assert answer(settings, ptr_name(address(host)), "PTR") == [host["fqdn"]]


def test_allocate_publishes_the_business_names_it_was_asked_for(settings, host):
    assert answer(settings, host["asked_names"][0], "CNAME") == [host["fqdn"]]


def test_the_host_records_are_listed_as_hostflows(api, host):
    records = api.get("/v1/dns/records", params={"host_id": host["id"]}).json()["records"]
    assert {(r["type"], r["kind"], r["state"]) for r in records} == {("A", "host", "active"),
                                                                     ("PTR", "host", "active"),
                                                                     ("CNAME", "business", "active")}


def test_a_cname_is_registered_verified_and_already_done_the_second_time(api, settings, host):
    fqdn = business(settings, "www")
    first = done(api, register(api, host, fqdn))
    again = done(api, register(api, host, fqdn.upper() + "."))
    assert first["kind"] == "register_domain_name" and first["steps"][0]["changed"]
    assert not again["steps"][0]["changed"]
    assert answer(settings, fqdn, "CNAME") == [host["fqdn"]]
    assert first["result"]["record"]["value"] == host["fqdn"]


def test_an_a_name_points_at_the_hosts_address_and_is_removed(api, settings, host):
    fqdn = business(settings, "api")
    done(api, register(api, host, fqdn, "A", ttl=120))
    assert answer(settings, fqdn, "A") == [address(host)]
    op = done(api, api.delete(f"/v1/hosts/{host['id']}/names/{fqdn}"))
    assert op["kind"] == "remove_domain_name" and answer(settings, fqdn, "A") is None
    assert api.delete(f"/v1/hosts/{host['id']}/names/{fqdn}").status_code == 404


@pytest.mark.parametrize("fqdn, code", [("not_valid.test.cloud.internal", "invalid_request"),
                                        ("www.example.com", "outside_managed_zones")])
def test_a_bad_name_is_refused_and_nothing_is_recorded(api, host, fqdn, code):
    before = len(api.get("/v1/dns/records").json()["records"])
    resp = register(api, host, fqdn)
    assert resp.status_code == 422 and resp.json()["error"]["code"] == code
    assert len(api.get("/v1/dns/records").json()["records"]) == before


def test_a_cname_where_another_type_exists_is_a_conflict(api, settings, host):
    fqdn = business(settings, "dual")
    done(api, register(api, host, fqdn, "A"))
    resp = register(api, host, fqdn, "CNAME")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "cname_conflict"
    assert answer(settings, fqdn, "A") == [address(host)] and answer(settings, fqdn, "CNAME") is None


def test_a_foreign_name_is_a_conflict_left_untouched_unless_forced(api, settings, host):
    fqdn = business(settings, "legacy")
    foreign(settings, fqdn, "10.213.0.99")
    resp = register(api, host, fqdn, "A")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "name_taken"
    assert answer(settings, fqdn, "A") == ["10.213.0.99"]
    done(api, register(api, host, fqdn, "A", force=True))  # now hostflow's: reclaim removes it
    assert answer(settings, fqdn, "A") == [address(host)]


def _stop_named() -> None:
    pid = int((REPO / ".hostflow" / "run" / "named.pid").read_text())
    os.kill(pid, signal.SIGTERM)

    def gone() -> bool:
        try:
            return "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
        except FileNotFoundError:
            return True

    wait_for(gone, f"named (pid {pid}) to exit on SIGTERM", timeout=10, interval=0.1)


def test_bind_down_fails_the_operation_and_the_retry_completes(api, settings, host):
    fqdn = business(settings, "outage")
    _stop_named()
    try:
        resp = register(api, host, fqdn)
        assert resp.status_code == 202  # the API records it; the flow meets the outage
        op = api.wait(resp.json()["operation"]["id"])
        assert op["state"] == "failed" and op["error"]["code"] == "dns_unavailable", op["error"]
    finally:
        subprocess.run(["bash", "scripts/stack.sh", "up"], cwd=REPO, check=True, capture_output=True)
    retried = api.post(f"/v1/operations/{op['id']}/retry")
    assert retried.status_code == 202
    op = api.wait(op["id"])
    assert op["state"] == "succeeded", op["error"]
    assert answer(settings, fqdn, "CNAME") == [host["fqdn"]]


def test_records_survive_a_bind_restart(api, settings, host):
    fqdn = business(settings, "durable")
    done(api, register(api, host, fqdn))
    _stop_named()
    subprocess.run(["bash", "scripts/stack.sh", "up"], cwd=REPO, check=True, capture_output=True)
    assert answer(settings, fqdn, "CNAME") == [host["fqdn"]]


def test_reclaim_removes_every_name_of_the_host(api, settings, host):
    names = [r["fqdn"] for r in api.get("/v1/dns/records", params={"host_id": host["id"]}).json()["records"]]
    assert len(names) >= 4
    done(api, api.delete(f"/v1/hosts/{host['id']}"))
    assert all(answer(settings, n, "ANY") is None for n in names)
    assert api.get("/v1/dns/records", params={"host_id": host["id"]}).json()["records"] == []
