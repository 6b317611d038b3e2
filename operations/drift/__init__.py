"""The drift report: the system of record compared with reality, source by source (claims
and leases, DNS, object storage, NFS exports, each hypervisor's libvirt and disks), and
the repair of the findings that are safe to repair unattended.

A source that cannot be read is reported as such (`complete` false) and the others are
still compared. Each safe repair is an operation of its own (`repair_drift`), recorded,
journalled and retried like any other, under a key made from the finding, so asking
again while a repair is on its way gets that repair; once it has ended, a finding still
there gets a new one."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from infra.db.operations import TERMINAL
from infra.errors import Conflict, HostflowError
from operations import record
from operations.drift.claims import claims, leases
from operations.drift.exports import exports
from operations.drift.findings import Finding, Record
from operations.drift.hosts import hosts
from operations.drift.names import names
from operations.drift.nodes import node
from operations.drift.objects import objects
from operations.origin import Origin
from operations.services import Services

KIND = "repair_drift"
CHECKS: dict[str, Callable[[Services, Record, datetime], list[Finding]]] = {
    "hosts": lambda _svc, rec, _now: hosts(rec),
    "claims": lambda svc, rec, _now: claims(svc, rec),
    "leases": lambda svc, rec, _now: leases(svc, rec),
    "dns": lambda svc, rec, _now: names(svc, rec),
    "objects": objects,
    "exports": lambda svc, rec, _now: exports(svc, rec),
}


def report(svc: Services, now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    found, sources = _findings(svc, Record.read(svc), now)
    return {"checked_at": now.isoformat(), "complete": all(s["ok"] for s in sources.values()),
            "sources": sources, "counts": dict(Counter(f.kind for f in found)),
            "findings": [f.to_dict() for f in found]}


def _findings(svc: Services, rec: Record, now: datetime) -> tuple[list[Finding], dict]:
    found: list[Finding] = []
    sources: dict[str, dict] = {}
    for name, check in CHECKS.items():
        sources[name] = _read(lambda check=check: check(svc, rec, now), found)
    for hv in svc.hypervisors.all():
        if hv["enabled"]:
            sources[f"node:{hv['name']}"] = _read(
                lambda name=hv["name"]: node(svc, rec, name, svc.planner.inventory(name)), found)
    return found, sources


def _read(check: Callable[[], list[Finding]], found: list[Finding]) -> dict:
    try:
        got = check()
    except HostflowError as exc:
        return {"ok": False, "error": exc.message, "code": exc.code}
    found.extend(got)
    return {"ok": True, "findings": len(got)}


def repair(svc: Services, origin: Origin, only: set[str] | None = None) -> dict:
    """Submits a `repair_drift` operation for each safe finding (of `only`, when given);
    the unsafe ones are listed for an operator."""
    now = datetime.now(UTC)
    found, sources = _findings(svc, Record.read(svc), now)
    chosen = [f for f in found if only is None or f.id in only]
    submitted = [_submit(svc, origin, f) for f in chosen if f.repair]
    return {"checked_at": now.isoformat(), "complete": all(s["ok"] for s in sources.values()),
            "repairs": submitted, "left": [f.to_dict() for f in chosen if not f.repair]}


def _submit(svc: Services, origin: Origin, finding: Finding) -> dict:
    params = {"finding": finding.id, "finding_kind": finding.kind, "subject": finding.subject,
              "function": finding.repair.function, "request": finding.repair.request}
    keyed = Origin(origin.source, origin.requester, _key(svc, finding), origin.reply_to, origin.sees)
    op = record.submit(svc, KIND, keyed, params, host_id=finding.host_id)
    return {"finding": finding.id, "kind": finding.kind, "subject": finding.subject, "operation": op["id"],
            "state": op["state"]}


def _key(svc: Services, finding: Finding) -> str:
    """The key of the finding's repair on its way, or a new one after those that ended."""
    for n in range(1, 1000):
        key = f"drift-repair:{finding.id}" + (f"#{n}" if n > 1 else "")
        op = svc.operations.by_key(key)
        if op is None or op["state"] not in TERMINAL:
            return key
    raise Conflict(f"finding {finding.id} was repaired 999 times and is back", code="repair_exhausted")
