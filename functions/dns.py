"""Domain names (control plane): a record set hostflow owns is made exactly hostflow's
value and verified at the authoritative server; records hostflow did not create are
never changed or removed.

Requests: {"fqdn", "type" (A, CNAME, PTR), "value", "host_id", "kind" (host or business),
"ttl"?, "force"?, "project"?} to ensure; {"fqdn", "host_id", "type"?} to remove one name;
{"host_id"} to remove all of a host's names."""
from __future__ import annotations

from dataclasses import dataclass

from functions.node import Control
from functions.outcome import Outcome, Plan
from infra.dns_names import is_address, is_fqdn, normalise, zone_of
from infra.errors import Conflict, DnsError, DnsUnavailable, Invalid

NOT_DATA = {"RRSIG", "NSEC", "NSEC3"}  # DNSSEC's own records sit beside any data


@dataclass(frozen=True)
class Want:
    fqdn: str
    type: str
    value: str
    ttl: int
    host_id: str
    kind: str
    force: bool = False
    project: str | None = None  # the requesting host's: force takes over only that project's names

    @classmethod
    def of(cls, ctl: Control, req: dict) -> Want:
        value = req["value"] if req["type"] == "A" else normalise(req["value"])
        return cls(normalise(req["fqdn"]), req["type"], value, int(req.get("ttl") or ctl.dns_ttl), req["host_id"],
                   req.get("kind", "business"), bool(req.get("force")), req.get("project"))


def decide(want: Want, present: dict, owner: dict | None, infrastructure: bool = False) -> str:
    """none, add or replace; a Conflict when the name is not hostflow's to change.

    present: the server's record sets at the name by type (RRset: type, ttl, values);
    owner: hostflow's live record for (fqdn, type), if any, with its host's project;
    infrastructure: the name is the zone's own (it holds SOA or NS records, or names a
    name server)."""
    others = set(present) - {want.type} - NOT_DATA
    if want.type == "CNAME" and others:
        raise Conflict(f"{want.fqdn} already has {', '.join(sorted(others))} records; a CNAME cannot sit beside "
                       "other data", code="cname_conflict", details={"types": sorted(others)})
    if want.type != "CNAME" and "CNAME" in present:
        raise Conflict(f"{want.fqdn} is a CNAME; it cannot also have {want.type} records", code="cname_conflict",
                       details={"types": ["CNAME"]})
    current = present.get(want.type)
    ours = owner is not None and (owner["host_id"], owner["kind"]) == (want.host_id, want.kind)
    if ours and current is not None and current.values == (want.value,) and current.ttl == want.ttl:
        return "none"
    if infrastructure and not ours:
        raise Conflict(f"{want.fqdn} is the zone's own name (SOA, NS or a name server); not even force takes it",
                       code="name_reserved", details={"fqdn": want.fqdn})
    if ours or (current is None and owner is None) or (want.force and _may_take(want, owner)):
        return "replace" if current is not None else "add"
    raise _taken(want, current, owner)


def _may_take(want: Want, owner: dict | None) -> bool:
    """Force takes over a name no one in hostflow owns, or a business name of the
    requesting host's own project; never a host's own A/PTR, never another project's."""
    if owner is None:
        return True
    return owner["kind"] == "business" and want.project is not None and owner.get("project") == want.project


def _taken(want: Want, current, owner: dict | None) -> Conflict:
    """Another project's owner is not named: its host id is not the caller's to learn."""
    same_project = owner is not None and want.project is not None and owner.get("project") == want.project
    if owner is not None and owner["kind"] == "host":
        why, hint = "is a host's own name", "not even force takes it"
    elif owner is not None and not same_project:
        why, hint = "is another project's name", "not even force takes it"
    elif owner is not None:
        why, hint = f"is hostflow's {owner['kind']} record of host {owner['host_id']}", '"force": true takes it over'
    else:
        why, hint = f"has {want.type} {', '.join(current.values)}, not created by hostflow", \
            '"force": true takes it over'
    return Conflict(f"{want.fqdn} {why}; {hint}", code="name_taken",
                    details={"fqdn": want.fqdn, "type": want.type, "owner": owner["host_id"] if same_project else None,
                             "values": list(current.values) if current and (owner is None or same_project) else []})


def check(ctl: Control, want: Want) -> tuple[str, object]:
    """Observe and decide: (action, the server's current record set of the type)."""
    if zone_of(want.fqdn, ctl.dns_zones) is None:
        raise Invalid(f"{want.fqdn} is outside the managed zones {', '.join(ctl.dns_zones)}",
                      code="outside_managed_zones")
    present = ctl.dns.rrsets(want.fqdn)
    owner = ctl.dns_records.find(want.fqdn, want.type)
    return decide(want, present, owner, _infrastructure(ctl, want.fqdn, present)), present.get(want.type)


def _infrastructure(ctl: Control, fqdn: str, present: dict) -> bool:
    if {"SOA", "NS"} & set(present):
        return True
    servers = ctl.dns.rrset(zone_of(fqdn, ctl.dns_zones), "NS")
    return servers is not None and fqdn in {normalise(v) for v in servers.values}


def ensure_record(ctl: Control, req: dict) -> Outcome:
    want = Want.of(ctl, req)
    action, current = check(ctl, want)
    before = list(current.values) if current else None
    if action == "none":
        _settle(ctl, want)
        return Outcome.unchanged(before, record=ctl.dns_records.find(want.fqdn, want.type))
    record = ctl.dns_records.claim(want.fqdn, want.type, want.value, want.ttl, want.host_id, want.kind)
    ctl.dns.replace(want.fqdn, want.type, want.ttl, want.value)
    _verify(ctl, want.fqdn, want.type, lambda got: got == (want.value,))
    ctl.dns_records.set_state(record["id"], "active")
    return Outcome(True, before=before, after=[want.value], note=f"{action} {want.type} {want.fqdn}",
                   data={"record": {**record, "state": "active"}})


def _settle(ctl: Control, want: Want) -> None:
    """Already on the server: the owning row (maybe left `pending` by an interrupted run) turns active."""
    record = ctl.dns_records.find(want.fqdn, want.type)
    if record and record["state"] != "active":
        ctl.dns_records.set_state(record["id"], "active")


def _verify(ctl: Control, fqdn: str, rtype: str, holds) -> None:
    got = ctl.dns.rrset(fqdn, rtype)
    values = got.values if got else ()
    if not holds(values):
        raise DnsError(f"the server has {rtype} {fqdn} = {list(values)} after the update", code="dns_verify_failed")


def remove_record(ctl: Control, req: dict) -> Outcome:
    """Removes the host's own records at the name (of the type, if given); nothing else."""
    fqdn = normalise(req["fqdn"])
    owned = [r for r in ctl.dns_records.at_name(fqdn, req["host_id"]) if req.get("type") in (None, r["type"])]
    if not owned:
        return Outcome.unchanged(None, note="absent (or not hostflow's)")
    for record in owned:
        _remove(ctl, record)
    return Outcome(True, before=[f"{r['type']} {r['value']}" for r in owned], after=None,
                   note=f"removed {fqdn}")


def remove_host_records(ctl: Control, req: dict) -> Outcome:
    owned = ctl.dns_records.of_host(req["host_id"])
    if not owned:
        return Outcome.unchanged(None, note="the host has no names")
    for record in owned:
        _remove(ctl, record)
    return Outcome(True, before=[f"{r['fqdn']} {r['type']}" for r in owned], after=None,
                   note=f"removed {len(owned)} record(s)")


def _remove(ctl: Control, record: dict) -> None:
    """Deletes only hostflow's value: anything else put at the name meanwhile stays."""
    current = ctl.dns.rrset(record["fqdn"], record["type"])
    if current and record["value"] in current.values:
        ctl.dns.delete(record["fqdn"], record["type"], record["value"])
        _verify(ctl, record["fqdn"], record["type"], lambda got: record["value"] not in got)
    ctl.dns_records.release(record["id"])


def _concrete(req: dict) -> bool:
    """A dry run's request may still hold placeholders (an address allocated when run)."""
    return is_fqdn(req["fqdn"]) and (is_address(req["value"]) if req["type"] == "A" else is_fqdn(req["value"]))


def plan_ensure_record(ctl: Control, req: dict) -> Plan:
    detail = f"{req['type']} {req['fqdn']} -> {req['value']}"
    if not _concrete(req):
        return Plan("ensure", detail)
    try:
        action, _ = check(ctl, Want.of(ctl, req))
    except (Conflict, Invalid) as exc:
        return Plan("conflict", f"{exc.code}: {exc.message}")
    except DnsUnavailable as exc:
        return Plan("ensure", f"{detail} (not observed: {exc.message})")
    return Plan(action, detail)


def plan_remove_record(ctl: Control, req: dict) -> Plan:
    owned = ctl.dns_records.at_name(normalise(req["fqdn"]), req["host_id"])
    return Plan("remove", ", ".join(f"{r['type']} {r['fqdn']}" for r in owned)) if owned else Plan("none")


def plan_remove_host_records(ctl: Control, req: dict) -> Plan:
    owned = ctl.dns_records.of_host(req["host_id"])
    return Plan("remove", ", ".join(f"{r['type']} {r['fqdn']}" for r in owned)) if owned else Plan("none")
