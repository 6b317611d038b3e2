"""Snapshot and rebuild operations: their contexts and what their ends mean for the
host and image records.

A snapshot's host is `snapshotting` meanwhile and `active` again at the end, whatever
happened (its disk is only read). Its image becomes `active` with the file's facts, or
`killed` with the reason once its steps are undone; left half-done for a retry (a node
lost) it stays `saving`. A rebuilt host is `rebuilding`, then `active` on the new image,
or `active` on the old one when rolled back, or `error` when it could not be put back."""
from __future__ import annotations

from flows import rebuild, snapshot
from flows.kinds.base import Kind, Stores
from flows.kinds.hosts import allocate_context
from functions.snapshots import image_key
from infra.settings import Settings


def _snapshot_ctx(op: dict, st: Stores, settings: Settings) -> dict:
    host, image = st.hosts.get(op["host_id"]), st.images.get(op["params"]["image_id"])
    st.image_lifecycle.swap(image["id"], {"queued"}, "saving")
    return {"operation_id": op["id"], "host_id": host["id"], "name": host["name"], "hypervisor": host["hypervisor"],
            "image_id": image["id"], "image_name": image["name"], "bucket": settings.snapshot_bucket,
            "key": image_key(image["id"])}


def _snapshotted(op: dict, st: Stores, ctx: dict) -> dict:
    facts = ctx["image_file"]
    st.image_lifecycle.swap(ctx["image_id"], {"queued", "saving"}, "active", size=facts["size"],
                                      virtual_size=facts["virtual_size"], os_hash_value=facts["sha512"],
                                      location=facts["location"], status_reason=None)
    st.hosts.update(op["host_id"], state="active")
    return {"host_id": op["host_id"], "image": st.images.get(ctx["image_id"]), "quiesced": ctx.get("quiesced", False)}


def _snapshot_failed(op: dict, st: Stores, outcomes: dict, rolled_back: bool) -> None:
    st.hosts.update(op["host_id"], state="active")
    if outcomes and not rolled_back:
        return
    st.image_lifecycle.swap(op["params"]["image_id"], {"queued", "saving"}, "killed",
                                      status_reason=_reason(st, op["id"]))


def _reason(st: Stores, op_id: str) -> str:
    failed = [s["error"] for s in st.ops.get(op_id)["steps"] if s["error"]]
    return f"snapshot failed: {failed[0]['code']}: {failed[0]['message']}" if failed else "snapshot failed"


def _rebuild_ctx(op: dict, st: Stores, settings: Settings) -> dict:
    host = st.hosts.get(op["host_id"])
    image_id = op["params"]["image_id"]
    boot = allocate_context(op, {**host, "image": image_id}, st.images, settings)
    keep = ("operation_id", "host_id", "name", "flavor", "root_image", "images", "boot", "readiness", "boot_timeout")
    return {**{k: boot[k] for k in keep if k in boot},
            "image_id": image_id, "hypervisor": host["hypervisor"],
            "addresses": [a["cidr"] for a in host["addresses"]]}


def _rebuilt(op: dict, st: Stores, ctx: dict) -> dict:
    st.hosts.update(op["host_id"], state="active", image_id=ctx["image_id"])
    st.power.record(op["host_id"], "running", op["kind"])
    return {"host_id": op["host_id"], "image_id": ctx["image_id"], "guest": ctx.get("guest")}


def _rebuild_failed(op: dict, st: Stores, outcomes: dict, rolled_back: bool) -> None:
    st.hosts.update(op["host_id"], state="active" if rolled_back or not outcomes else "error")


HOST_IMAGE_KINDS: dict[str, Kind] = {
    "snapshot_host": Kind(snapshot.snapshot_host, _snapshot_ctx, _snapshotted, _snapshot_failed),
    "rebuild_host": Kind(rebuild.rebuild_host, _rebuild_ctx, _rebuilt, _rebuild_failed),
}
