"""Hosts' power states as libvirt shows them: recorded from a node's reports (its domain
events and periodic syncs) and from the end of power actions, each change kept as a
power event. An observation older than the recorded one is ignored, so a late report
never overwrites what an action saw after it."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from infra.db.engine import Database
from infra.db.models import Host, Hypervisor, PowerEvent, iso

# hosts whose domain may rightly be absent: not yet defined, or being removed
NO_DOMAIN_YET = frozenset({"building", "failed", "deleting", "deleted"})
OBSERVED = frozenset({"event", "sync"})  # the sources of changes a node saw (else: an operation's kind)


class PowerStateStore:
    def __init__(self, db: Database):
        self.db = db

    def record(self, host_id: str, state: str, source: str, at: datetime | None = None) -> bool:
        """The host's power state as `source` saw it at `at`; whether that changed it."""
        at = at or datetime.now(UTC)
        with self.db.session() as s:
            host = s.get(Host, host_id)
            return host is not None and _apply(s, host, state, source, at)

    def observe(self, node: str, domains: list[dict], at: datetime, complete: bool, source: str) -> dict:
        """A node's report: `domains` [{"domain", "host", "state"}] are its marked domains.
        Its hosts' states are recorded; with a `complete` report, a host of the node with
        no domain is `missing`, and the domains no live host owns are kept on the node's
        record. Returns {"changed": [host ids], "unowned": [domain names]}."""
        seen = {d["host"]: d for d in domains}
        with self.db.session() as s:
            live = {h.id: h for h in s.scalars(select(Host).where(Host.id.in_(seen) | (Host.hypervisor == node),
                                                                    Host.state != "deleted"))}
            changed = [h.id for h in live.values()
                       if h.hypervisor == node and _observed(s, h, seen, at, complete, source)]
            unowned = sorted(d["domain"] for host_id, d in seen.items() if host_id not in live)
            if complete:
                row = s.get(Hypervisor, node)
                if row is not None:
                    row.unowned_domains = unowned
        return {"changed": changed, "unowned": unowned}

    def stopped_on_their_own(self) -> list[dict]:
        """Hosts with restart policy `always`, `active` (no operation has them), whose guest
        is shut off or crashed, brought there as their node saw it, not by an action of
        hostflow's: [{"id", "restart_count", "restarted_at"}]."""
        with self.db.reading() as s:
            hosts = s.scalars(select(Host).where(Host.restart_policy == "always", Host.state == "active",
                                                 Host.power_state.in_(("shutoff", "crashed")),
                                                 Host.power_state_by.in_(OBSERVED)))
            return [{"id": h.id, "restart_count": h.restart_count or 0,
                     "restarted_at": None if h.restarted_at is None else _aware(h.restarted_at)} for h in hosts]

    def count_restart(self, host_id: str, count: int, at: datetime) -> None:
        with self.db.session() as s:
            host = s.get(Host, host_id)
            host.restart_count, host.restarted_at = count, at

    def events(self, host_id: str, limit: int = 100) -> list[dict]:
        """The host's power changes, newest first."""
        with self.db.reading() as s:
            rows = s.scalars(select(PowerEvent).where(PowerEvent.host_id == host_id)
                             .order_by(PowerEvent.id.desc()).limit(limit))
            return [{"at": iso(e.at), "before": e.before, "after": e.after, "source": e.source} for e in rows]


def _observed(s, host: Host, seen: dict, at: datetime, complete: bool, source: str) -> bool:
    if host.id in seen:
        return _apply(s, host, seen[host.id]["state"], source, at)
    if complete and host.state not in NO_DOMAIN_YET:
        return _apply(s, host, "missing", source, at)
    return False


def _apply(s, host: Host, state: str, source: str, at: datetime) -> bool:
    """A newer observation than the recorded one. An action of hostflow's that ends where
    its node has already reported (the event came first) still takes the state as its own."""
    if host.power_state_at is not None and _aware(host.power_state_at) > at:
        return False
    host.power_state_at = at
    if host.power_state == state:
        if source not in OBSERVED:
            host.power_state_by = source
        return False
    host.power_state_by = source
    s.add(PowerEvent(host_id=host.id, before=host.power_state, after=state, source=source, at=at))
    host.power_state = state
    return True


def _aware(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)
