"""Allocate and reclaim: the host's context read from the records (its image, networks
and shares), and what the operation's end means for the host and its volumes."""
from __future__ import annotations

from flows import allocate_host, reclaim_host
from flows.kinds.base import Kind, Stores
from flows.kinds.base import now as _now
from flows.kinds.shares import env_shares, record_allocated, record_reclaimed
from functions import readiness
from infra.db.images import ImageStore
from infra.db.networks import NetworkStore, default_network
from infra.errors import NotFound
from infra.settings import Settings


def _image_ref(image: dict) -> dict:
    return {"id": image["id"], "sha512": image["os_hash_value"], "location": image["location"],
            "disk_format": image["disk_format"]}


def allocate_context(op: dict, host: dict, images: ImageStore, settings: Settings) -> dict:
    root = images.get(host["image"])
    boot_images = {k: images.get(root[f"{k}_id"]) for k in ("kernel", "ramdisk") if root.get(f"{k}_id")}
    boot: dict = {k: _image_ref(v) for k, v in boot_images.items()}
    if boot:
        boot["cmdline"] = root["properties"].get("os_command_line", "console=ttyS0")
    if root["disk_format"] == "iso":
        boot = {"cdrom": _image_ref(root)}
    return {
        "operation_id": op["id"], "host_id": host["id"], "name": host["name"], "project": host["project"],
        "fqdn": host.get("fqdn"), "flavor": host["flavor"], "ssh_keys": host["ssh_keys"], "bridge": settings.vm_bridge,
        **({"user_data": host["user_data"]} if host.get("user_data") else {}),
        "root_image": _image_ref(root), "images": [_image_ref(root), *map(_image_ref, boot_images.values())],
        "boot": boot, **_readiness(root, settings), **_boot_timeout(root, settings),
        "hypervisor_hint": (op.get("params") or {}).get("hypervisor"),
        "names": (op.get("params") or {}).get("names") or [],
        **host_networks(images.db, host.get("env", ""), settings),
        **env_shares(images.db, host.get("env", ""), host["project"], settings),
    }


def _readiness(image: dict, settings: Settings) -> dict:
    """The image's strategy; phone_home with the endpoint its guests post to (with none
    configured, nothing can be waited for: none)."""
    how = readiness.strategy(image["properties"])
    if how != "phone_home":
        return {"readiness": how}
    if not settings.phone_home_url:
        return {"readiness": "none"}
    return {"readiness": how, "phone_home_url": settings.phone_home_url.rstrip("/")}


def _boot_timeout(image: dict, settings: Settings) -> dict:
    """{"boot_timeout"} when the image sets its own, less than a step may take."""
    seconds = readiness.boot_timeout(image["properties"], settings.step_timeout - 60)
    return {} if seconds is None else {"boot_timeout": seconds}


def host_readiness(images: ImageStore, host: dict) -> str:
    """How the host's guest shows what it sees (functions.readiness), from the image it
    runs; serial when that image is gone from the records."""
    try:
        return readiness.strategy(images.get(host["image"])["properties"])
    except NotFound:
        return "serial"


def host_boot_wait(images: ImageStore, host: dict, settings: Settings) -> dict:
    """{"readiness", "boot_timeout"?} for waiting on the host's guest as its allocation
    did, from the image it runs; serial when that image is gone from the records."""
    try:
        image = images.get(host["image"])
    except NotFound:
        return {"readiness": "serial"}
    return {**_readiness(image, settings), **_boot_timeout(image, settings)}


def host_networks(db, env: str, settings: Settings) -> dict:
    """The networks of the traffic classes the host's environment requires."""
    found, missing = NetworkStore(db).for_classes(env, settings.traffic_classes(env), default_network(settings))
    return {"networks": found, "missing_networks": missing}


def reclaim_context(op: dict, host: dict, volume_ids: list[str] | None = None) -> dict:
    """volume_ids: the volumes a reclaim with delete_volumes deletes (None: they are detached)."""
    ctx = {"operation_id": op["id"], "host_id": host["id"], "name": host["name"], "hypervisor": host["hypervisor"]}
    if volume_ids is not None:
        ctx["volume_ids"] = volume_ids
    return ctx


def _allocated(op: dict, st: Stores, ctx: dict) -> dict:
    leases = ctx.get("leases") or [ctx["lease"]]
    st.hosts.update(op["host_id"], state="active", hypervisor=ctx["hypervisor"],
                    addresses=[{k: lease[k] for k in ("network", "address", "cidr", "mac")} for lease in leases])
    record_allocated(st, op["host_id"], ctx)
    st.power.record(op["host_id"], "running", op["kind"])
    host = st.hosts.get(op["host_id"])
    return {"host_id": host["id"], "name": host["name"], "fqdn": host["fqdn"], "hypervisor": ctx["hypervisor"],
            "addresses": host["addresses"], "guest": ctx.get("guest"), "names": ctx.get("names") or []}


def _allocate_failed(op: dict, st: Stores, outcomes: dict, rolled_back: bool) -> None:
    claim = outcomes.get("claim_capacity")
    if claim:
        st.hosts.update(op["host_id"], hypervisor=claim["data"]["hypervisor"])
    st.hosts.update(op["host_id"], state="error" if outcomes else "failed")


def _reclaimed(op: dict, st: Stores, ctx: dict) -> dict:
    st.hosts.update(op["host_id"], state="deleted", deleted_at=_now())
    record_reclaimed(st, op["host_id"])
    deleted = sum(st.volumes.swap(vid, {"deleting"}, "deleted", host_id=None, target=None, deleted_at=_now())
                  for vid in ctx.get("volume_ids", []))
    released = st.volumes.release_host(op["host_id"])
    return {"host_id": op["host_id"], "reclaimed": True, "volumes_detached": released, "volumes_deleted": deleted}


def _host_error(op: dict, st: Stores, outcomes: dict, rolled_back: bool) -> None:
    st.hosts.update(op["host_id"], state="error")


def _reclaim_failed(op: dict, st: Stores, outcomes: dict, rolled_back: bool) -> None:
    """The volumes a reclaim was to delete are the host's again (in-use) if their delete step
    never started; once it has, some may be gone: they stay `deleting` for the retry."""
    _host_error(op, st, outcomes, rolled_back)
    delete_step = reclaim_host.DELETE_VOLUMES.name
    if op["params"].get("delete_volumes") and st.ops.step_state(op["id"], delete_step, "do") is None:
        st.volumes.return_attached(op["host_id"])


def _reclaim_cancelled(op: dict, st: Stores, outcomes: dict, rolled_back: bool) -> None:
    """Cancelled (or rejected) before its first step: the host is as it was. Once a step
    has run, what it destroyed stays destroyed: as a failed reclaim, for a retry."""
    if any(step["direction"] == "do" for step in st.ops.steps(op["id"])):
        _reclaim_failed(op, st, outcomes, rolled_back)
        return
    st.hosts.update(op["host_id"], state="active")
    if op["params"].get("delete_volumes"):
        st.volumes.return_attached(op["host_id"])


def _allocate_ctx(op: dict, st: Stores, settings: Settings) -> dict:
    host = {**st.hosts.get(op["host_id"]), "user_data": st.hosts.user_data(op["host_id"])}
    return allocate_context(op, host, st.images, settings)


def _reclaim_ctx(op: dict, st: Stores, _settings: Settings) -> dict:
    doomed = None
    if op["params"].get("delete_volumes"):
        doomed = [v["id"] for v in st.volumes.attached_to(op["host_id"]) if v["state"] == "deleting"]
    return reclaim_context(op, st.hosts.get(op["host_id"]), doomed)


HOST_KINDS: dict[str, Kind] = {
    "allocate_host": Kind(allocate_host.allocate_host, _allocate_ctx, _allocated, _allocate_failed),
    "reclaim_host": Kind(reclaim_host.reclaim_host, _reclaim_ctx, _reclaimed, _reclaim_failed, _reclaim_cancelled),
}
