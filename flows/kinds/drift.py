"""Repairs of the drift report's safe findings. A repair that fails changes no record:
its finding stays in the report, and the operation can be retried."""
from __future__ import annotations

from flows import drift
from flows.kinds.base import Kind, Stores
from infra.errors import Invalid
from infra.settings import Settings


def _ctx(op: dict, _st: Stores, _settings: Settings) -> dict:
    p = op["params"]
    if p["function"] not in drift.REPAIRS:
        raise Invalid(f"{p['function']} is not a drift repair", code="invalid_repair")
    return {"operation_id": op["id"], "finding": p["finding"], "finding_kind": p["finding_kind"],
            "subject": p["subject"], "function": p["function"], "request": p["request"]}


def _repaired(op: dict, _st: Stores, ctx: dict) -> dict:
    return {"finding": ctx["finding"], "kind": ctx["finding_kind"], "subject": ctx["subject"], "repaired": True}


def _nothing(_op: dict, _st: Stores, _outcomes: dict, _rolled_back: bool) -> None:
    """The finding stays until a repair succeeds."""


DRIFT_KINDS: dict[str, Kind] = {"repair_drift": Kind(drift.repair_drift, _ctx, _repaired, _nothing)}
