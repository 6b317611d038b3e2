"""Attach a share to a host, or detach it: export rules (NFS), the config drive's mount
entries, the domain's devices (a clean restart for 9p), then the guest's own report."""
from __future__ import annotations

from prefect import flow

from flows.engine import Step, on_control, on_hypervisor, run_recorded


def _shares(ctx: dict) -> dict:
    return {"host_id": ctx["host_id"], "shares": ctx["shares"], "before": ctx["before"],
            "nfs_server": ctx.get("nfs_server", ""), "address": ctx.get("address")}


EXPORTS = Step("ensure_share_exports", "ensure_share_exports", on_control, _shares, "revert_share_exports")
GUEST = [
    Step("ensure_share_mounts", "ensure_share_mounts", on_hypervisor, _shares, "revert_share_mounts"),
    Step("apply_share_devices", "apply_share_devices", on_hypervisor, _shares, "revert_share_devices"),
    Step("wait_guest_mounts", "wait_guest_mounts", on_hypervisor, _shares),
]
# An export is granted before the guest mounts it, and withdrawn once it no longer does.
ATTACH = [EXPORTS, *GUEST]
DETACH = [*GUEST, EXPORTS]


@flow(name="attach-share", flow_run_name="attach share {ctx[share]} to {ctx[name]}", persist_result=False)
def attach_share(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, ATTACH, ctx)


@flow(name="detach-share", flow_run_name="detach share {ctx[share]} from {ctx[name]}", persist_result=False)
def detach_share(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, DETACH, ctx)
