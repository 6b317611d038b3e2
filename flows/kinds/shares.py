"""Share operations (attach, detach) and what the shares mean for allocate and reclaim."""
from __future__ import annotations

from flows import shares
from flows.kinds.base import Kind, Stores
from functions import share_config
from infra.db.shares import ShareStore
from infra.settings import Settings


def env_shares(db, env: str, project: str, settings: Settings) -> dict:
    """An allocation's context: the shares of its environment and its project (as the nodes
    see them); another project's shares of the same environment are not its own."""
    found = ShareStore(db).list(env, projects=[project])
    return {"shares": [share_config.node_view(s) for s in found], "share_ids": [s["id"] for s in found],
            "nfs_server": settings.nfs_server}


def record_allocated(st: Stores, host_id: str, ctx: dict) -> None:
    if ctx.get("share_ids"):
        st.shares.set_host(host_id, ctx["share_ids"])


def record_reclaimed(st: Stores, host_id: str) -> None:
    st.shares.detach_host(host_id)


def _after(op: dict, attached: list[dict], share: dict) -> list[dict]:
    others = [s for s in attached if s["name"] != share["name"]]
    return sorted([*others, share] if op["kind"] == "attach_share" else others, key=lambda s: s["name"])


def _share_ctx(op: dict, st: Stores, settings: Settings) -> dict:
    store = st.shares
    host, share = st.hosts.get(op["host_id"]), store.get(op["params"]["share"])
    attached = store.for_host(host["id"])
    after = _after(op, attached, share)
    networks = st.networks.list()
    return {"operation_id": op["id"], "host_id": host["id"], "name": host["name"], "hypervisor": host["hypervisor"],
            "share": share["name"], "share_ids": [s["id"] for s in after],
            "shares": [share_config.node_view(s) for s in after],
            "before": [share_config.node_view(s) for s in attached], "nfs_server": settings.nfs_server,
            "address": share_config.share_address(host["addresses"], networks)}


def _changed(op: dict, st: Stores, ctx: dict) -> dict:
    """A retry of one left half-done (`error`) puts the host back `active` too."""
    st.shares.set_host(op["host_id"], ctx["share_ids"])
    st.hosts.update(op["host_id"], state="active")
    return {"host_id": op["host_id"], "share": ctx["share"], "shares": [s["name"] for s in ctx["shares"]],
            "mounted": [s["mount_point"] for s in ctx["shares"]]}


def _failed(op: dict, st: Stores, outcomes: dict, rolled_back: bool) -> None:
    """Rolled back or nothing done: the host as it was. Left half-done: `error`, for a retry."""
    if outcomes and not rolled_back:
        st.hosts.update(op["host_id"], state="error")


SHARE_KINDS: dict[str, Kind] = {
    "attach_share": Kind(shares.attach_share, _share_ctx, _changed, _failed),
    "detach_share": Kind(shares.detach_share, _share_ctx, _changed, _failed),
}
