"""Resize a host, then confirm or revert it."""
from __future__ import annotations

from prefect import flow

from flows.engine import Step, on_control, on_hypervisor, run_recorded


def _sizes(flavor: dict) -> dict:
    return {"vcpus": flavor["vcpus"], "ram_mb": flavor["ram_mb"], "disk_gb": flavor["disk_gb"]}


def _claim(ctx: dict) -> dict:
    return {"host_id": ctx["host_id"], **_sizes(ctx["to"]), "old": _sizes(ctx["from"])}


def _domain(ctx: dict) -> dict:
    old = {k: ctx["from"][k] for k in ("vcpus", "ram_mb")}
    return {"host_id": ctx["host_id"], "vcpus": ctx["to"]["vcpus"], "ram_mb": ctx["to"]["ram_mb"], "old": old}


def _disk(ctx: dict) -> dict:
    return {"host_id": ctx["host_id"], "disk_gb": ctx["to"]["disk_gb"]}


def _guest(ctx: dict) -> dict:
    return {"host_id": ctx["host_id"], **_sizes(ctx["to"]), "readiness": ctx.get("readiness", "serial")}


def _absorb_path(ctx: dict, outcome: dict) -> None:
    ctx["path"] = outcome["data"].get("path")


SIZE = [
    Step("resize_claim", "resize_claim", on_control, _claim, "undo_resize_claim"),
    Step("resize_domain", "resize_domain", on_hypervisor, _domain, "undo_resize_domain", _absorb_path),
    Step("grow_root_disk", "grow_root_disk", on_hypervisor, _disk),
    Step("wait_guest_sized", "wait_guest_sized", on_hypervisor, _guest),
]


@flow(name="resize-host", flow_run_name="resize {ctx[name]}", persist_result=False)
def resize_host(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, SIZE, ctx)


@flow(name="revert-resize", flow_run_name="revert the resize of {ctx[name]}", persist_result=False)
def revert_resize(operation_id: str, ctx: dict) -> dict:
    """The same steps towards the old size; the disk is not shrunk (grow_root_disk leaves it)."""
    return run_recorded(operation_id, SIZE, ctx)


@flow(name="confirm-resize", flow_run_name="confirm the resize of {ctx[name]}", persist_result=False)
def confirm_resize(operation_id: str, ctx: dict) -> dict:
    """Nothing on the node: the old size lives only in the resize operation, and is forgotten."""
    return run_recorded(operation_id, [], ctx)
