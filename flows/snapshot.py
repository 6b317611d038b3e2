"""snapshot host: copy the root disk (flattened, consistent while it runs), upload it
as the image's file, drop the local copy. The host is never stopped."""
from __future__ import annotations

from prefect import flow

from flows.engine import Step, on_hypervisor, run_recorded


def _copy(ctx: dict) -> dict:
    return {"host_id": ctx["host_id"], "image_id": ctx["image_id"]}


def _upload(ctx: dict) -> dict:
    return {"image_id": ctx["image_id"], "bucket": ctx["bucket"], "key": ctx["key"]}


def _absorb_file(ctx: dict, outcome: dict) -> None:
    ctx["image_file"] = outcome["data"]


def _absorb_copy(ctx: dict, outcome: dict) -> None:
    ctx["quiesced"] = bool(outcome["data"].get("quiesced"))


STEPS = [
    Step("snapshot_root_disk", "snapshot_root_disk", on_hypervisor, _copy, "delete_snapshot_file", _absorb_copy),
    Step("upload_image_file", "upload_image_file", on_hypervisor, _upload, "delete_image_object", _absorb_file),
    Step("delete_snapshot_file", "delete_snapshot_file", on_hypervisor, _copy),
]


@flow(name="snapshot-host", flow_run_name="snapshot {ctx[name]} as {ctx[image_name]}", persist_result=False)
def snapshot_host(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, STEPS, ctx)
