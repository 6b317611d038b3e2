"""What the drift report says: findings, each with its evidence and a suggested repair,
and the record's side as the checks read it once per report."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from operations.services import Services


@dataclass(frozen=True)
class Repair:
    """A safe repair: a control function of functions.registry and its request. The
    function is idempotent, so a repair run twice, or after reality moved on, does no harm."""

    function: str
    request: dict


@dataclass(frozen=True)
class Finding:
    kind: str
    subject: str  # what drifted, e.g. "claim of host <id> on hv1"
    evidence: str  # what was read on each side
    suggestion: str  # what an operator should do
    repair: Repair | None = None  # set only where the repair is safe to run unattended
    host_id: str | None = None

    @property
    def id(self) -> str:
        """Stable across reports while the same thing drifts the same way."""
        return hashlib.sha256(f"{self.kind}|{self.subject}".encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "subject": self.subject, "evidence": self.evidence,
                "suggestion": self.suggestion, "safe": self.repair is not None, "host_id": self.host_id,
                "repair": {"function": self.repair.function, "request": self.repair.request} if self.repair else None}


@dataclass
class Record:
    """The database's side: every host (deleted ones too), and what operations not yet
    ended concern. Whatever an operation is working on is left out of the findings:
    mid-flight, the record and reality differ by design."""

    hosts: dict[str, dict]
    busy: dict[str, set[str]] = field(default_factory=lambda: {"hosts": set(), "volumes": set(), "backups": set()})

    @classmethod
    def read(cls, svc: Services) -> Record:
        return cls({h["id"]: h for h in svc.hosts.list(include_deleted=True)}, svc.operations.in_flight())

    def live(self, host_id: str) -> dict | None:
        host = self.hosts.get(host_id)
        return host if host and host["state"] != "deleted" else None

    def gone(self, host_id: str) -> bool:
        """The record says the host holds nothing (none has this id, it is deleted, or its
        allocation failed and was undone) and no operation is working on it."""
        host = self.live(host_id)
        return (host is None or host["state"] == "failed") and host_id not in self.busy["hosts"]

    def settled(self) -> list[dict]:
        """Live hosts no operation is working on."""
        return [h for h in self.hosts.values() if h["state"] != "deleted" and h["id"] not in self.busy["hosts"]]

    def describe(self, host_id: str) -> str:
        host = self.hosts.get(host_id)
        return f"host {host_id} is {host['state']}" if host else f"no host {host_id} is on record"
