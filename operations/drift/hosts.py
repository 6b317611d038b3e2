"""Hosts whose record says an operation is on them when none is: a state an operation
sets while it works (building, deleting) outlived every operation on the host."""
from __future__ import annotations

from operations.drift.findings import Finding, Record

TRANSITIONAL = {"building", "deleting"}


def hosts(rec: Record) -> list[Finding]:
    return [Finding("host_state_stuck", f"host {h['id']}",
                    f"host {h['name']} is {h['state']} and no operation on it is running or waiting",
                    "retry its last operation, or reclaim the host", host_id=h["id"])
            for h in rec.settled() if h["state"] in TRANSITIONAL]
