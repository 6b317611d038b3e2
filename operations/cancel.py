"""Cancelling an operation: asked for here, carried out by the flow runner, which checks
between functions, stops before the next one and runs the compensations of what was
done. One still waiting for approval is queued cancelled, so it ends the same way."""
from __future__ import annotations

from infra.errors import Conflict
from operations.approvals import decide


def cancel(svc, op_id: str, by: str) -> dict:
    op = svc.operations.get(op_id)
    if op["state"] == "awaiting_approval":
        try:
            return decide(svc, op_id, "cancelled", by, "cancelled while awaiting approval")
        except Conflict:
            op = svc.operations.get(op_id)
    if not svc.operations.request_cancel(op_id, by):
        raise Conflict(f"operation {op_id} has ended ({op['state']}); there is nothing to cancel",
                       code="not_cancellable", details={"state": op["state"]})
    return svc.operations.get(op_id)
