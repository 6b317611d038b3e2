"""Runs one operation: takes it (queued -> running), builds the flow's context from
the system of record, runs the Prefect flow, and records how it ended."""
from __future__ import annotations

import logging
from datetime import UTC, datetime

from flows import allocate_host, reclaim_host
from flows.engine import FlowFailed, Runtime, runtime_var
from infra import bootstrap
from infra.db.hosts import HostStore
from infra.db.images import ImageStore
from infra.db.operations import OperationStore
from infra.errors import HostflowError
from infra.queue import RqDispatcher, redis_from_url
from infra.settings import Settings

log = logging.getLogger("hostflow.runner")


def _image_ref(image: dict) -> dict:
    return {"id": image["id"], "sha512": image["os_hash_value"], "location": image["location"],
            "disk_format": image["disk_format"]}


def allocate_context(op: dict, host: dict, images: ImageStore, settings: Settings) -> dict:
    root = images.get(host["image"])
    boot_images = {k: images.get(root[f"{k}_id"]) for k in ("kernel", "ramdisk") if root.get(f"{k}_id")}
    boot: dict = {k: _image_ref(v) for k, v in boot_images.items()}
    if boot:
        boot["cmdline"] = root["properties"].get("os_command_line", "console=ttyS0")
    return {
        "operation_id": op["id"], "host_id": host["id"], "name": host["name"], "project": host["project"],
        "flavor": host["flavor"], "ssh_keys": host["ssh_keys"], "bridge": settings.vm_bridge,
        "root_image": _image_ref(root), "images": [_image_ref(root), *map(_image_ref, boot_images.values())],
        "boot": boot,
    }


def reclaim_context(op: dict, host: dict, _images: ImageStore, _settings: Settings) -> dict:
    return {"operation_id": op["id"], "host_id": host["id"], "name": host["name"],
            "hypervisor": host["hypervisor"]}


FLOWS = {
    "allocate_host": (allocate_host.allocate_host, allocate_context),
    "reclaim_host": (reclaim_host.reclaim_host, reclaim_context),
}


def run_operation(operation_id: str, settings: Settings | None = None, dispatcher=None,
                  prefect: bool = True) -> dict:
    settings = settings or Settings.from_env()
    db = bootstrap.database(settings.database_url)
    ops, hosts = OperationStore(db), HostStore(db)
    op = ops.get(operation_id)
    if not ops.transition(operation_id, {"queued"}, "running", attempts=op["attempts"] + 1):
        return {"skipped": op["state"]}
    dispatcher = dispatcher or RqDispatcher(redis_from_url(settings.redis_url), settings.step_timeout)
    flow_fn, build_context = FLOWS[op["kind"]]
    host = hosts.get(op["host_id"])
    recorder = Recorder(ops, hosts, op)
    token = runtime_var.set(Runtime(dispatcher, ops, prefect, finish=recorder.finish))
    try:
        ctx = build_context(op, host, ImageStore(db), settings)
        flow_fn(operation_id, ctx) if prefect else flow_fn.fn(operation_id, ctx)
    except Exception as exc:  # noqa: BLE001 - the operation must end with a recorded state
        if not recorder.done:
            log.exception("operation %s crashed outside its steps", operation_id)
            recorder.finish(None, exc)
    finally:
        runtime_var.reset(token)
    return recorder.outcome


class Recorder:
    """Records how an operation ended, once. Called from inside the flow body, so
    the operation's state is final before Prefect's teardown (its heartbeat thread
    is joined at the end of a sync flow, ~0.5 s)."""

    def __init__(self, ops: OperationStore, hosts: HostStore, op: dict):
        self.ops, self.hosts, self.op = ops, hosts, op
        self.done, self.outcome = False, {}

    def finish(self, ctx: dict | None, exc: Exception | None) -> dict:
        if self.done:
            return self.outcome
        self.done = True
        if exc is None:
            self.outcome = _succeeded(self.ops, self.hosts, self.op, ctx)
        elif isinstance(exc, FlowFailed):
            state = "rolled_back" if exc.rolled_back else "failed"
            self.outcome = _failed(self.ops, self.hosts, self.op, exc.cause, state, exc.rolled_back)
        elif isinstance(exc, HostflowError):
            self.outcome = _failed(self.ops, self.hosts, self.op, exc, "failed", rolled_back=False)
        else:
            err = HostflowError(f"internal error: {exc}")
            self.outcome = _failed(self.ops, self.hosts, self.op, err, "failed", rolled_back=False)
        return self.outcome


def _now() -> datetime:
    return datetime.now(UTC)


def _succeeded(ops: OperationStore, hosts: HostStore, op: dict, ctx: dict) -> dict:
    host_id = op["host_id"]
    if op["kind"] == "allocate_host":
        lease = ctx["lease"]
        hosts.update(host_id, state="active", hypervisor=ctx["hypervisor"],
                     addresses=[{"network": lease["network"], "address": lease["address"], "cidr": lease["cidr"],
                                 "mac": lease["mac"]}])
        host = hosts.get(host_id)
        result = {"host_id": host_id, "name": host["name"], "fqdn": host["fqdn"], "hypervisor": ctx["hypervisor"],
                  "addresses": host["addresses"], "guest": ctx.get("guest")}
    else:
        hosts.update(host_id, state="deleted", deleted_at=_now())
        result = {"host_id": host_id, "reclaimed": True}
    ops.transition(op["id"], {"running"}, "succeeded", result=result)
    return result


def _failed(ops: OperationStore, hosts: HostStore, op: dict, err: HostflowError, state: str,
            rolled_back: bool) -> dict:
    outcomes = ops.done_outcomes(op["id"])
    if op["kind"] == "allocate_host":
        claim = outcomes.get("claim_capacity")
        if claim:
            hosts.update(op["host_id"], hypervisor=claim["data"]["hypervisor"])
        hosts.update(op["host_id"], state="error" if outcomes else "failed")
    else:
        hosts.update(op["host_id"], state="error")
    ops.transition(op["id"], {"running"}, state, error_code=err.code, error_message=err.message)
    return {"state": state, "error": err.to_dict()}
