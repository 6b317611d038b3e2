"""Volume operations: their context, and the volume's state when they end."""
from __future__ import annotations

from flows import volumes
from flows.kinds.base import Kind, Stores
from flows.kinds.base import now as _now
from flows.kinds.hosts import host_readiness
from infra.settings import Settings


def volume_context(op: dict, st: Stores) -> dict:
    vol = st.volumes.get(op["volume_id"])
    ctx = {"operation_id": op["id"], "volume_id": vol["id"], "name": vol["name"], "size_gb": vol["size_gb"],
           "hypervisor": vol["hypervisor"]}
    if op["host_id"]:
        host = st.hosts.get(op["host_id"])
        ctx.update(host_id=host["id"], host_name=host["name"], readiness=host_readiness(st.images, host))
    return ctx


BUSY = {"creating", "deleting", "reserved", "attaching", "detaching"}


def _volume_state(state: str, **fields):
    def record(op: dict, st: Stores, ctx: dict) -> dict:
        extra = {"deleted_at": _now()} if state == "deleted" else {}
        st.volumes.swap(op["volume_id"], BUSY, state, **fields, **extra)
        return {"volume": st.volumes.get(op["volume_id"])}

    return record


def _attached(op: dict, st: Stores, ctx: dict) -> dict:
    st.volumes.swap(op["volume_id"], {"reserved", "attaching"}, "in-use", host_id=op["host_id"],
                    target=ctx.get("target"))
    return {"volume": st.volumes.get(op["volume_id"])}


def _volume_failed(state_after_rollback: str):
    """Rolled back (or nothing done): the volume returns to its resting state. Left
    half-done for a retry (a lost node): it keeps its in-flight state, so the retry can
    finish it and nothing else can take it meanwhile."""

    def record(op: dict, st: Stores, outcomes: dict, rolled_back: bool) -> None:
        if outcomes and not rolled_back:
            return
        fields = {"host_id": None, "target": None} if state_after_rollback == "available" else {}
        st.volumes.swap(op["volume_id"], BUSY, state_after_rollback, **fields)

    return record


def _extend_ctx(op: dict, st: Stores, _settings: Settings) -> dict:
    return {**volume_context(op, st), "new_size_gb": op["params"]["size_gb"]}


def _extended(op: dict, st: Stores, ctx: dict) -> dict:
    st.volumes.swap(op["volume_id"], {"extending"}, op["params"]["from_state"], size_gb=op["params"]["size_gb"])
    return {"volume": st.volumes.get(op["volume_id"])}


def _extend_failed(op: dict, st: Stores, outcomes: dict, rolled_back: bool) -> None:
    st.volumes.swap(op["volume_id"], {"extending"}, op["params"]["from_state"])


def _volume_ctx(op: dict, st: Stores, _settings: Settings) -> dict:
    return volume_context(op, st)


VOLUME_KINDS: dict[str, Kind] = {
    "create_volume": Kind(volumes.create_volume, _volume_ctx, _volume_state("available"), _volume_failed("error")),
    "delete_volume": Kind(volumes.delete_volume, _volume_ctx, _volume_state("deleted"), _volume_failed("error")),
    "attach_volume": Kind(volumes.attach_volume, _volume_ctx, _attached, _volume_failed("available")),
    "extend_volume": Kind(volumes.extend_volume, _extend_ctx, _extended, _extend_failed),
    "detach_volume": Kind(volumes.detach_volume, _volume_ctx, _volume_state("available", host_id=None, target=None),
                          _volume_failed("in-use")),
}
