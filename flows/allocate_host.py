"""allocate host: claim, address, image, disk, config drive, domain, boot, wait."""
from __future__ import annotations

from prefect import flow

from flows.engine import Step, on_control, on_hypervisor, run_recorded


def _host(ctx: dict) -> dict:
    return {"host_id": ctx["host_id"]}


def _claim_request(ctx: dict) -> dict:
    pin = {"hypervisor": ctx["hypervisor_hint"]} if ctx.get("hypervisor_hint") else {}
    return {**_host(ctx), **ctx["flavor"], **pin}


def _images_request(ctx: dict) -> dict:
    return {"images": ctx["images"]}


def _disk_request(ctx: dict) -> dict:
    return {**_host(ctx), "base": ctx["root_image"], "disk_gb": ctx["flavor"]["disk_gb"]}


def _nics(ctx: dict) -> list[dict]:
    lease = ctx["lease"]
    return [{"mac": lease["mac"], "cidr": lease["cidr"], "gateway": lease.get("gateway"), "bridge": ctx["bridge"]}]


def _drive_request(ctx: dict) -> dict:
    return {**_host(ctx), "hostname": ctx["name"], "nics": _nics(ctx), "ssh_keys": ctx.get("ssh_keys", [])}


def _domain_request(ctx: dict) -> dict:
    return {**_host(ctx), "operation_id": ctx["operation_id"], "project": ctx["project"],
            "vcpus": ctx["flavor"]["vcpus"], "ram_mb": ctx["flavor"]["ram_mb"],
            "nics": [{"mac": n["mac"], "bridge": n["bridge"]} for n in _nics(ctx)], "boot": ctx["boot"]}


def _wait_request(ctx: dict) -> dict:
    return {**_host(ctx), "hostname": ctx["name"], "addresses": [ctx["lease"]["cidr"]]}


def _set(key: str, data_key: str):
    def absorb(ctx: dict, outcome: dict) -> None:
        ctx[key] = outcome["data"][data_key]

    return absorb


def _absorb_guest(ctx: dict, outcome: dict) -> None:
    ctx["guest"] = outcome["data"].get("guest")


STEPS = [
    Step("claim_capacity", "claim_capacity", on_control, _claim_request, "release_capacity",
         _set("hypervisor", "hypervisor")),
    Step("allocate_ip", "allocate_ip", on_control, _host, "release_ip", _set("lease", "lease")),
    Step("ensure_image_cached", "ensure_image_cached", on_hypervisor, _images_request),
    Step("ensure_root_disk", "ensure_root_disk", on_hypervisor, _disk_request, "delete_instance_files"),
    Step("ensure_config_drive", "ensure_config_drive", on_hypervisor, _drive_request, "delete_config_drive"),
    Step("ensure_domain_defined", "ensure_domain_defined", on_hypervisor, _domain_request, "ensure_undefined"),
    Step("ensure_running", "ensure_running", on_hypervisor, _host, "ensure_stopped"),
    Step("wait_guest_up", "wait_guest_up", on_hypervisor, _wait_request, None, _absorb_guest),
]


@flow(name="allocate-host", flow_run_name="allocate {ctx[name]} ({operation_id})", persist_result=False)
def allocate_host(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, STEPS, ctx)
