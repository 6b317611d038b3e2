"""Resize operations and what their ends mean for the host record.

A resize takes the host `resizing` -> `verify_resize`; a confirm returns it to
`active`; a revert (`reverting`) puts the old vCPUs and memory back, and `active`.
A revert keeps a grown disk: disks only grow."""
from __future__ import annotations

from flows import resize
from flows.kinds.base import Kind, Stores
from flows.kinds.hosts import host_readiness
from infra.settings import Settings


def _resize_ctx(op: dict, st: Stores, _settings: Settings) -> dict:
    host = st.hosts.get(op["host_id"])
    return {"operation_id": op["id"], "host_id": host["id"], "name": host["name"], "hypervisor": host["hypervisor"],
            "from": op["params"]["from"], "to": op["params"]["flavor"], "readiness": host_readiness(st.images, host)}


def _confirm_ctx(op: dict, st: Stores, _settings: Settings) -> dict:
    host = st.hosts.get(op["host_id"])
    return {"operation_id": op["id"], "host_id": host["id"], "name": host["name"], "hypervisor": host["hypervisor"]}


def _resized(op: dict, st: Stores, ctx: dict) -> dict:
    to = op["params"]["flavor"]
    st.hosts.update(op["host_id"], state="verify_resize", vcpus=to["vcpus"], ram_mb=to["ram_mb"],
                    disk_gb=to["disk_gb"])
    return {"host_id": op["host_id"], "path": ctx.get("path"), "flavor": to, "from": op["params"]["from"],
            "note": "confirm (POST .../resize/confirm) or revert (POST .../resize/revert)"}


def _reverted(op: dict, st: Stores, ctx: dict) -> dict:
    to = op["params"]["flavor"]
    st.hosts.update(op["host_id"], state="active", vcpus=to["vcpus"], ram_mb=to["ram_mb"], disk_gb=to["disk_gb"])
    return {"host_id": op["host_id"], "path": ctx.get("path"), "flavor": to,
            "note": "vCPUs and memory are back; a grown disk stays grown (disks only grow)"}


def _confirmed(op: dict, st: Stores, _ctx: dict) -> dict:
    st.hosts.update(op["host_id"], state="active")
    return {"host_id": op["host_id"], "confirmed": op["params"]["resize_operation"]}


def _back_to(state: str):
    def record(op: dict, st: Stores, outcomes: dict, rolled_back: bool) -> None:
        """Rolled back or nothing done: the host as it was. Left half-done: `error`."""
        st.hosts.update(op["host_id"], state=state if rolled_back or not outcomes else "error")

    return record


RESIZE_KINDS: dict[str, Kind] = {
    "resize_host": Kind(resize.resize_host, _resize_ctx, _resized, _back_to("active")),
    "revert_resize": Kind(resize.revert_resize, _resize_ctx, _reverted, _back_to("verify_resize")),
    "confirm_resize": Kind(resize.confirm_resize, _confirm_ctx, _confirmed, _back_to("verify_resize")),
}
