"""Volume flows: create, delete, attach, detach."""
from __future__ import annotations

from prefect import flow

from flows.engine import Step, on_hypervisor, run_recorded


def _volume(ctx: dict) -> dict:
    return {"volume_id": ctx["volume_id"]}


def _sized(ctx: dict) -> dict:
    return {"volume_id": ctx["volume_id"], "size_gb": ctx["size_gb"]}


def _attachment(ctx: dict) -> dict:
    return {"volume_id": ctx["volume_id"], "host_id": ctx["host_id"]}


def _absorb_target(ctx: dict, outcome: dict) -> None:
    ctx["target"] = outcome["data"].get("target")
    ctx["console_offset"] = outcome["data"].get("console_offset", 0)


def _visible(ctx: dict) -> dict:
    return {**_attachment(ctx), "console_offset": ctx.get("console_offset", 0),
            "readiness": ctx.get("readiness", "serial")}


CREATE = [Step("ensure_volume", "ensure_volume", on_hypervisor, _sized, "delete_volume")]
DELETE = [Step("delete_volume", "delete_volume", on_hypervisor, _volume)]
ATTACH = [
    Step("attach_volume", "attach_volume", on_hypervisor, _attachment, "detach_volume", _absorb_target),
    Step("wait_volume_visible", "wait_volume_visible", on_hypervisor, _visible),
]
DETACH = [Step("detach_volume", "detach_volume", on_hypervisor, _attachment)]


def _extend(ctx: dict) -> dict:
    return {"volume_id": ctx["volume_id"], "size_gb": ctx["new_size_gb"], "host_id": ctx.get("host_id")}


def _grown_visible(ctx: dict) -> dict:
    return {**_attachment(ctx), "size_bytes": ctx["new_size_gb"] << 30, "readiness": ctx.get("readiness", "serial")}


EXTEND = [Step("extend_volume", "extend_volume", on_hypervisor, _extend),
          Step("wait_volume_grown", "wait_volume_visible", on_hypervisor, _grown_visible)]


def extend_steps(ctx: dict) -> list[Step]:
    """A detached volume has no guest to wait for."""
    return EXTEND if ctx.get("host_id") else EXTEND[:1]


@flow(name="create-volume", flow_run_name="create volume {ctx[name]}", persist_result=False)
def create_volume(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, CREATE, ctx)


@flow(name="delete-volume", flow_run_name="delete volume {ctx[name]}", persist_result=False)
def delete_volume(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, DELETE, ctx)


@flow(name="attach-volume", flow_run_name="attach {ctx[name]} to {ctx[host_name]}", persist_result=False)
def attach_volume(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, ATTACH, ctx)


@flow(name="detach-volume", flow_run_name="detach {ctx[name]} from {ctx[host_name]}", persist_result=False)
def detach_volume(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, DETACH, ctx)


@flow(name="extend-volume", flow_run_name="extend {ctx[name]} to {ctx[new_size_gb]} GiB", persist_result=False)
def extend_volume(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, extend_steps(ctx), ctx)
