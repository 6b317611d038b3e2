"""The DNS records hostflow owns against what the authoritative server answers.

Ownership lives in the database (infra.db.dns_records), not in marks on the server, so
the check runs from the rows: every live row is on the server with its value, every row
of a gone host is a leftover, and every released row whose value the server still
answers (with no live owner of that name and type) was left behind."""
from __future__ import annotations

from operations.drift.findings import Finding, Record, Repair
from operations.services import Services


def names(svc: Services, rec: Record) -> list[Finding]:
    control = svc.planner.control
    rows = control.dns_records.list(include_deleted=True)
    live = [r for r in rows if not r["deleted"]]
    found = _of_gone_hosts(live, rec)
    found += [f for r in live if r["state"] == "active" and not rec.gone(r["host_id"])
              and r["host_id"] not in rec.busy["hosts"] and (f := _served(control.dns, r))]
    owned = {(r["fqdn"], r["type"]) for r in live}
    released = {(r["fqdn"], r["type"], r["value"]): r for r in rows if r["deleted"]}
    found += [f for (fqdn, rtype, _), r in released.items() if (fqdn, rtype) not in owned
              and r["host_id"] not in rec.busy["hosts"] and (f := _left_behind(control.dns, r))]
    return found


def _of_gone_hosts(live: list[dict], rec: Record) -> list[Finding]:
    by_host: dict[str, list[dict]] = {}
    for r in live:
        if rec.gone(r["host_id"]):
            by_host.setdefault(r["host_id"], []).append(r)
    return [Finding("dns_record_of_gone_host", f"DNS records of host {host_id}",
                    f"{', '.join(_text(r) for r in rows)} owned; {rec.describe(host_id)}",
                    "remove the records from the server and release them",
                    Repair("remove_host_records", {"host_id": host_id}), host_id)
            for host_id, rows in by_host.items()]


def _served(dns, row: dict) -> Finding | None:
    present = dns.rrset(row["fqdn"], row["type"])
    values = present.values if present else ()
    if _holds(values, row):
        return None
    kind = "dns_record_missing" if not values else "dns_record_differs"
    return Finding(kind, f"{row['type']} {row['fqdn']}",
                   f"hostflow owns {_text(row)} for host {row['host_id']}; the server answers "
                   f"{', '.join(values) or 'nothing'}",
                   "register the name again (retry the operation that made it)", host_id=row["host_id"])


def _left_behind(dns, row: dict) -> Finding | None:
    present = dns.rrset(row["fqdn"], row["type"])
    if not present or not _holds(present.values, row):
        return None
    return Finding("dns_record_left", f"{row['type']} {row['fqdn']}",
                   f"released {row['deleted']} by host {row['host_id']}, no live owner, and the server still "
                   f"answers {', '.join(present.values)}",
                   "delete the record from the server once nobody outside hostflow uses it", host_id=row["host_id"])


def _holds(values, row: dict) -> bool:
    return any(v.rstrip(".").lower() == row["value"].rstrip(".").lower() for v in values)


def _text(row: dict) -> str:
    return f"{row['type']} {row['fqdn']} -> {row['value']}"
