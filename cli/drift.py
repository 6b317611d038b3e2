"""`hostflow drift [--kind KIND ...] [--repair] [--json]` (admin): what drifted from the
record (`GET /v1/drift`), and with --repair the repair of the safe findings
(`POST /v1/drift/repairs`).

It exits like a linter, within the CLI's codes: 0 when every source was read and nothing
drifted (with --repair: nothing is left for an operator and no repair has failed), 1
otherwise or when the API refuses, 2 on a usage error."""
from __future__ import annotations

import argparse
import json

from cli import views
from cli.client import Client

MAX_IDS = 1000  # per POST /v1/drift/repairs


def drift_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hostflow drift", description="what drifted from the record (admin)")
    p.add_argument("--kind", action="append", default=[], help="only findings of this kind (repeat, or a,b)")
    p.add_argument("--repair", action="store_true", help="repair the safe findings, each as an operation")
    p.add_argument("--json", action="store_true", help="print the API's answer")
    return p


def run_drift(connect, words: list[str]) -> int:
    a = drift_parser().parse_args(words)
    client = connect()
    params = {"kind": ",".join(a.kind)} if a.kind else None
    if a.repair:
        done = _repair(client, params)
        print(json.dumps(done, indent=2) if a.json else views.drift_repairs(done))
        undone = [r for r in done["repairs"] if r["state"] in views.UNDONE]
        return 0 if done["complete"] and not done["left"] and not undone else 1
    found = client.call("GET", "/v1/drift", params=params)
    print(json.dumps(found, indent=2) if a.json else views.drift_report(found))
    return 0 if found["complete"] and not found["findings"] else 1


def _repair(client: Client, params: dict | None) -> dict:
    """Every safe finding, or with --kind those of its kinds: their ids, at most MAX_IDS per request."""
    if params is None:
        return client.call("POST", "/v1/drift/repairs")
    found = client.call("GET", "/v1/drift", params=params)
    ids = [f["id"] for f in found["findings"]]
    done = {"checked_at": found["checked_at"], "complete": found["complete"], "repairs": [], "left": []}
    for start in range(0, len(ids), MAX_IDS):
        part = client.call("POST", "/v1/drift/repairs", {"findings": ids[start:start + MAX_IDS]})
        done = {"checked_at": part["checked_at"], "complete": done["complete"] and part["complete"],
                "repairs": done["repairs"] + part["repairs"], "left": done["left"] + part["left"]}
    return done
