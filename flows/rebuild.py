"""rebuild host: stop, cache the new image, set the old root disk aside, a new overlay
on the new image, boot as the new image says, start, wait for the guest, and only then
drop the old disk. A failure undoes in reverse: the host runs on its old disk again."""
from __future__ import annotations

from prefect import flow

from flows.engine import Step, on_hypervisor, run_recorded


def _host(ctx: dict) -> dict:
    return {"host_id": ctx["host_id"]}


def _images(ctx: dict) -> dict:
    return {"images": ctx["images"]}


def _disk(ctx: dict) -> dict:
    return {"host_id": ctx["host_id"], "base": ctx["root_image"], "disk_gb": ctx["flavor"]["disk_gb"]}


def _boot(ctx: dict) -> dict:
    return {"host_id": ctx["host_id"], "boot": ctx["boot"]}


def _wait(ctx: dict) -> dict:
    timeout = {"timeout": ctx["boot_timeout"]} if ctx.get("boot_timeout") else {}
    return {"host_id": ctx["host_id"], "hostname": ctx["name"], "addresses": ctx["addresses"],
            "readiness": ctx.get("readiness", "serial"), **timeout}


def _absorb_guest(ctx: dict, outcome: dict) -> None:
    ctx["guest"] = outcome["data"].get("guest")


STEPS = [
    Step("ensure_stopped", "ensure_stopped", on_hypervisor, _host, "ensure_running"),
    Step("ensure_image_cached", "ensure_image_cached", on_hypervisor, _images),
    Step("set_root_disk_aside", "set_root_disk_aside", on_hypervisor, _host, "restore_root_disk"),
    Step("ensure_root_disk", "ensure_root_disk", on_hypervisor, _disk, "discard_new_root_disk"),
    Step("ensure_boot_config", "ensure_boot_config", on_hypervisor, _boot, "restore_boot_config"),
    Step("ensure_running", "ensure_running", on_hypervisor, _host, "ensure_stopped"),
    Step("wait_guest_up", "wait_guest_up", on_hypervisor, _wait, None, _absorb_guest),
    Step("delete_pre_rebuild_files", "delete_pre_rebuild_files", on_hypervisor, _host),
]


@flow(name="rebuild-host", flow_run_name="rebuild {ctx[name]} from {ctx[image_id]}", persist_result=False)
def rebuild_host(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, STEPS, ctx)
