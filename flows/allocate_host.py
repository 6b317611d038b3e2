"""allocate host: claim, addresses, networks, image, disk, config drive, domain, boot, wait, DNS names."""
from __future__ import annotations

from prefect import flow

from flows.engine import Step, on_control, on_hypervisor, run_recorded
from functions import share_config
from infra.dns_names import is_address, ptr_name


def _host(ctx: dict) -> dict:
    return {"host_id": ctx["host_id"]}


def _claim_request(ctx: dict) -> dict:
    pin = {"hypervisor": ctx["hypervisor_hint"]} if ctx.get("hypervisor_hint") else {}
    return {**_host(ctx), **ctx["flavor"], **pin}


def _images_request(ctx: dict) -> dict:
    return {"images": ctx["images"]}


def _disk_request(ctx: dict) -> dict:
    """A host booting from an ISO gets a blank root disk: no base."""
    base = {} if (ctx.get("boot") or {}).get("cdrom") else {"base": ctx["root_image"]}
    return {**_host(ctx), **base, "disk_gb": ctx["flavor"]["disk_gb"]}


def _ip_request(ctx: dict) -> dict:
    fields = ("name", "subnet", "gateway", "reserved")
    nets = [{k: n.get(k) for k in fields} for n in ctx.get("networks", [])]
    return {**_host(ctx), "networks": nets, "missing": ctx.get("missing_networks", [])}


def _networks_request(ctx: dict) -> dict:
    return {"networks": ctx.get("networks", [])}


def _leases(ctx: dict) -> list[dict]:
    return ctx.get("leases") or [ctx["lease"]]


def _nics(ctx: dict) -> list[dict]:
    """One per lease, in traffic-class order; the default route goes through the first."""
    nets = {n["name"]: n for n in ctx.get("networks", [])}
    nics = []
    for i, lease in enumerate(_leases(ctx)):
        net = nets.get(lease["network"], {})
        nic = {"mac": lease["mac"], "cidr": lease["cidr"], "gateway": lease.get("gateway") if i == 0 else None,
               "bridge": net.get("bridge", ctx["bridge"])}
        if net.get("mtu", 1500) != 1500:
            nic["mtu"] = net["mtu"]
        nics.append(nic)
    return nics


def _drive_request(ctx: dict) -> dict:
    optional = {k: ctx[k] for k in ("fqdn", "user_data") if ctx.get(k)}
    if ctx.get("phone_home_url"):
        optional["phone_home_url"] = f"{ctx['phone_home_url']}/phone-home/{ctx['host_id']}"
    return {**_host(ctx), "hostname": ctx["name"], "nics": _nics(ctx), "ssh_keys": ctx.get("ssh_keys", []),
            **optional, **_shares(ctx, "nfs_server")}


def _domain_request(ctx: dict) -> dict:
    return {**_host(ctx), "operation_id": ctx["operation_id"], "project": ctx["project"],
            "vcpus": ctx["flavor"]["vcpus"], "ram_mb": ctx["flavor"]["ram_mb"],
            "nics": [{"mac": n["mac"], "bridge": n["bridge"], "ip": n["cidr"].split("/")[0]} for n in _nics(ctx)],
            "boot": ctx["boot"],
            **_shares(ctx)}


def _shares(ctx: dict, *extra: str) -> dict:
    """The environment's shares (none: the request as it always was)."""
    if not ctx.get("shares"):
        return {}
    return {"shares": ctx["shares"], **{k: ctx.get(k, "") for k in extra}}


def _exports_request(ctx: dict) -> dict:
    addresses = [{"network": lease.get("network"), "address": lease.get("address")} for lease in _leases(ctx)]
    return {**_host(ctx), "shares": ctx.get("shares", []),
            "address": share_config.share_address(addresses, ctx.get("networks", []))}


def _wait_request(ctx: dict) -> dict:
    timeout = {"timeout": ctx["boot_timeout"]} if ctx.get("boot_timeout") else {}
    return {**_host(ctx), "hostname": ctx["name"], "addresses": [lease["cidr"] for lease in _leases(ctx)],
            "readiness": ctx.get("readiness", "serial"), **timeout}


def _set(key: str, data_key: str):
    def absorb(ctx: dict, outcome: dict) -> None:
        ctx[key] = outcome["data"][data_key]

    return absorb


def _absorb_leases(ctx: dict, outcome: dict) -> None:
    ctx["lease"] = outcome["data"]["lease"]
    ctx["leases"] = outcome["data"].get("leases") or [ctx["lease"]]


def _absorb_guest(ctx: dict, outcome: dict) -> None:
    ctx["guest"] = outcome["data"].get("guest")


def _address(ctx: dict) -> str:
    """The first (vm) NIC's address; a dry run may have none yet."""
    return (ctx.get("lease") or {}).get("address") or "(allocated when run)"


def _name_request(ctx: dict) -> dict:
    """The host's own name: <name>.<env>.<zone> A -> its first (vm) address."""
    return {**_host(ctx), "fqdn": ctx["fqdn"], "type": "A", "value": _address(ctx), "kind": "host"}


def _ptr_request(ctx: dict) -> dict:
    address = _address(ctx)
    reverse = ptr_name(address) if is_address(address) else address  # a dry run's placeholder stays
    return {**_host(ctx), "fqdn": reverse, "type": "PTR", "value": ctx["fqdn"], "kind": "host"}


# Last: a name is published once its guest answers, so it never points at a host that
# is not up; a DNS failure undoes the allocation like any other step's.
HOST_NAME_STEPS = [
    Step("ensure_host_name", "ensure_record", on_control, _name_request, "remove_record"),
    Step("ensure_host_ptr", "ensure_record", on_control, _ptr_request, "remove_record"),
]

STEPS = [
    Step("claim_capacity", "claim_capacity", on_control, _claim_request, "release_capacity",
         _set("hypervisor", "hypervisor")),
    Step("allocate_ip", "allocate_ip", on_control, _ip_request, "release_ip", _absorb_leases),
    Step("ensure_networks", "ensure_networks", on_hypervisor, _networks_request),
    Step("ensure_image_cached", "ensure_image_cached", on_hypervisor, _images_request),
    Step("ensure_root_disk", "ensure_root_disk", on_hypervisor, _disk_request, "delete_instance_files"),
    Step("ensure_config_drive", "ensure_config_drive", on_hypervisor, _drive_request, "delete_config_drive"),
    Step("ensure_domain_defined", "ensure_domain_defined", on_hypervisor, _domain_request, "ensure_undefined"),
    Step("ensure_share_exports", "ensure_share_exports", on_control, _exports_request, "remove_share_exports"),
    Step("ensure_running", "ensure_running", on_hypervisor, _host, "ensure_stopped"),
    Step("wait_guest_up", "wait_guest_up", on_hypervisor, _wait_request, None, _absorb_guest),
    *HOST_NAME_STEPS,
]


def _business_name(fqdn: str):
    def request(ctx: dict) -> dict:
        return {**_host(ctx), "fqdn": fqdn, "type": "CNAME", "value": ctx["fqdn"], "kind": "business"}

    return request


def steps_for(ctx: dict) -> list[Step]:
    """The business names the request asked for come last, CNAMEs to the host's own name."""
    names = [Step(f"ensure_business_name_{i}", "ensure_record", on_control, _business_name(fqdn), "remove_record")
             for i, fqdn in enumerate(ctx.get("names") or [], start=1)]
    return STEPS + names


@flow(name="allocate-host", flow_run_name="allocate {ctx[name]} ({operation_id})", persist_result=False)
def allocate_host(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, steps_for(ctx), ctx)
