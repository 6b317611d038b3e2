"""Objects in object storage that no record names (the drift report's orphans)."""
from __future__ import annotations

from functions.node import Control
from functions.outcome import Outcome, Plan


def delete_object(control: Control, req: dict) -> Outcome:
    """req: {"bucket", "key"}. An object already gone is done."""
    if not control.objects.delete(req["bucket"], req["key"]):
        return Outcome.unchanged("absent")
    return Outcome(True, before="present", after="absent", note=f"deleted s3://{req['bucket']}/{req['key']}")


def plan_delete_object(control: Control, req: dict) -> Plan:
    present = control.objects.head(req["bucket"], req["key"]) is not None
    return Plan("delete", f"s3://{req['bucket']}/{req['key']}") if present else Plan("none")
