"""Repairing one finding of the drift report: its one idempotent control function."""
from __future__ import annotations

from prefect import flow

from flows.engine import Step, on_control, run_recorded

REPAIRS = frozenset({"release_capacity", "release_ip", "remove_host_records", "delete_object"})


def steps_for(ctx: dict) -> list[Step]:
    return [Step(ctx["function"], ctx["function"], on_control, lambda c: c["request"])]


@flow(name="repair-drift", flow_run_name="repair {ctx[finding_kind]}: {ctx[subject]}", persist_result=False)
def repair_drift(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, steps_for(ctx), ctx)
