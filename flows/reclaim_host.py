"""reclaim host: stop, undefine, (delete its volumes,) delete files, release address and capacity."""
from __future__ import annotations

from prefect import flow

from flows.engine import Step, on_control, on_hypervisor, run_recorded


def _host(ctx: dict) -> dict:
    return {"host_id": ctx["host_id"]}


def _volumes(ctx: dict) -> dict:
    return {"volume_ids": ctx["volume_ids"]}


STEPS = [
    Step("ensure_stopped", "ensure_stopped", on_hypervisor, _host),
    Step("ensure_undefined", "ensure_undefined", on_hypervisor, _host),
    Step("delete_instance_files", "delete_instance_files", on_hypervisor, _host),
    # the names go before the address is released, so none points at an address handed on
    Step("remove_host_names", "remove_host_records", on_control, _host),
    # the export rules name the host's share address: they go before it is released
    Step("remove_share_exports", "remove_share_exports", on_control, _host),
    Step("release_ip", "release_ip", on_control, _host),
    Step("release_capacity", "release_capacity", on_control, _host),
]
DELETE_VOLUMES = Step("delete_host_volumes", "delete_host_volumes", on_hypervisor, _volumes)


def steps_for(ctx: dict) -> list[Step]:
    """A host whose allocation never reached a hypervisor has only control-plane state.
    With `volume_ids` (reclaim with delete_volumes) its volumes go once the domain is undefined."""
    steps = [*STEPS[:2], DELETE_VOLUMES, *STEPS[2:]] if "volume_ids" in ctx else STEPS
    return steps if ctx.get("hypervisor") else [s for s in steps if s.node is on_control]


@flow(name="reclaim-host", flow_run_name="reclaim {ctx[name]} ({operation_id})", persist_result=False)
def reclaim_host(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, steps_for(ctx), ctx)
