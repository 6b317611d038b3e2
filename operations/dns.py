"""Register and remove a host's business domain names. The checks that can refuse a
name run here, before anything is recorded (a refusal changes nothing); the flow's
function checks again when it runs. With the DNS server unreachable the name is
checked against hostflow's records only, and the operation records the outage."""
from __future__ import annotations

import uuid

from flows.kinds.dns import target
from functions import dns
from infra.dns_names import normalise, zone_of
from infra.errors import Conflict, DnsUnavailable, Invalid, NotFound
from operations.origin import Origin
from operations.record import replay_request, submit
from operations.services import Services

NAMED_STATES = {"active", "verify_resize", "resizing", "snapshotting", "rebuilding", "error"}


def submit_register(svc: Services, host_id: str, body, origin: Origin) -> dict:
    fqdn = normalise(body.fqdn)
    request = {"host_id": host_id, "fqdn": fqdn, "type": body.type, "ttl": body.ttl, "force": body.force}
    replay = replay_request(svc, "register_domain_name", origin.key, **request)
    if replay:
        return replay
    control = svc.planner.control
    if zone_of(fqdn, (control.dns_zones[0],)) is None:
        raise Invalid(f"{fqdn} is outside the managed zone {control.dns_zones[0]}", code="outside_managed_zones")
    host = _named_host(svc, host_id)
    value = target(host, body.type)
    if value is None:
        raise Conflict(f"host {host_id} has no address yet", code="host_busy", details={"state": host["state"]})
    want = dns.Want.of(control, {**request, "value": value, "kind": "business", "project": host["project"]})
    _refuse_conflicts(control, want)
    return submit(svc, "register_domain_name", origin.keyed(f"register-name:{host_id}:{uuid.uuid4()}"), request,
                  host_id=host_id)


def _named_host(svc: Services, host_id: str) -> dict:
    host = svc.hosts.get(host_id)
    if host["state"] not in NAMED_STATES:
        raise Conflict(f"host {host_id} is {host['state']}", code="host_busy", details={"state": host["state"]})
    return host


def _refuse_conflicts(control, want: dns.Want) -> None:
    try:
        dns.check(control, want)
    except DnsUnavailable:
        dns.decide(want, {}, control.dns_records.find(want.fqdn, want.type))


def submit_remove(svc: Services, host_id: str, fqdn: str, origin: Origin) -> dict:
    fqdn = normalise(fqdn)
    request = {"host_id": host_id, "fqdn": fqdn}
    replay = replay_request(svc, "remove_domain_name", origin.key, **request)
    if replay:
        return replay
    svc.hosts.get(host_id)
    owned = [r for r in svc.planner.control.dns_records.at_name(fqdn, host_id) if r["kind"] == "business"]
    if not owned:
        raise NotFound(f"host {host_id} has no name {fqdn}", code="name_not_found")
    return submit(svc, "remove_domain_name", origin.keyed(f"remove-name:{host_id}:{uuid.uuid4()}"), request,
                  host_id=host_id)


def list_records(svc: Services, host_id: str | None, include_deleted: bool) -> list[dict]:
    return svc.planner.control.dns_records.list(host_id, include_deleted)
