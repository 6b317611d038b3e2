"""The Prefect deployments (served by `python -m workers.deployments.serve`).

A run started in the Prefect UI behaves as a request to the API: its typed parameters
(the API's own pydantic models, so the UI renders a form) go through the API's
validation and submission, recorded as an operation with source `prefect-ui`; the
operation then runs as any other (the flow runner on the `flows` queue, its functions on
the hypervisors' queues) while this run follows it to its end.

An operation that needs approval waits here: `suspend_flow_run(wait_for_input=Approval)`
ends this run's process (no worker is held) until the UI's resume form or the API
answers. Cancelling this run in the UI asks the operation to cancel."""
from __future__ import annotations

import time

from prefect import flow, get_run_logger
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run
from prefect.states import Cancelled, Failed
from pydantic import BaseModel, Field

from infra.db.operations import TERMINAL
from infra.errors import Conflict, HostflowError, NotFound
from infra.settings import Settings
from operations.approvals import cancel, decide
from operations.bootstrap import api_services
from operations.dns import submit_register
from operations.hosts import submit_allocate, submit_reclaim
from operations.record import deferred_start
from operations.requests import (
    AllocateHost,
    AttachVolume,
    CreateVolume,
    RebuildHost,
    RegisterName,
    ResizeHost,
    SnapshotHost,
    flavor_limits,
    refuse_out_of_range,
    size_limit,
    validate_allocate,
)
from operations.resize import submit_resize
from operations.retry import start
from operations.snapshots import submit_rebuild, submit_snapshot
from operations.volumes import submit_attach, submit_create_volume, submit_detach

POLL_S = 1.0


class Approval(RunInput):
    approve: bool = Field(description="run the operation (true) or end it rejected (false)")
    note: str = Field(default="", max_length=1000)


class ReclaimHost(BaseModel):
    host: str = Field(min_length=1, max_length=64, description="the host's name or id")
    env: str | None = Field(default=None, description="its environment, where the name is in several")
    delete_volumes: bool = Field(default=False, description="delete its volumes instead of detaching them")


def _services():
    return api_services(Settings.from_env())


def _ui_submission() -> dict:
    run = flow_run.id
    return {"key": f"prefect:{run}", "source": "prefect-ui", "requester": f"prefect flow run {flow_run.name} ({run})"}


def _operation_of_run(svc) -> dict | None:
    found = svc.operations.by_key(f"prefect:{flow_run.id}")
    if found is None and (flow_run.parameters or {}).get("operation_id"):
        found = svc.operations.get(flow_run.parameters["operation_id"])
    return found


def _on_cancel(_flow, run, _state) -> None:
    """The Prefect UI's cancel, for this run's operation."""
    svc = _services()
    op = svc.operations.by_key(f"prefect:{run.id}")
    op_id = op["id"] if op else (run.parameters or {}).get("operation_id")
    if op_id:
        try:
            cancel(svc, op_id, "prefect-ui")
        except (Conflict, NotFound):
            pass


def follow(svc, op_id: str):
    """Gates an operation waiting for approval, then follows it to its end; the run ends
    as the operation does (Completed with its result, Cancelled, or Failed)."""
    log = get_run_logger()
    svc.operations.set_fields(op_id, deployment_run_id=str(flow_run.id))
    op = svc.operations.get(op_id)
    if op["state"] == "awaiting_approval":
        log.info("operation %s awaits approval: %s", op_id, op["approval"]["reason"])
        answer = suspend_flow_run(wait_for_input=Approval, key="approval",
                                  timeout=svc.settings.approval_timeout_s)
        try:
            decide(svc, op_id, "approved" if answer.approve else "rejected", "prefect-ui", answer.note, resume=False)
        except Conflict:
            log.info("operation %s was answered already", op_id)
    return _watch(svc, op_id, log)


def _watch(svc, op_id: str, log):
    seen: dict[tuple, str] = {}
    while True:
        op = svc.operations.get(op_id)
        for step in op["steps"]:
            key = (step["name"], step["direction"])
            if seen.get(key) != step["state"]:
                seen[key] = step["state"]
                log.info("%s%s on %s: %s", "" if key[1] == "do" else "undo ", key[0], step["node"], step["state"])
        if op["state"] in TERMINAL:
            return _ending(op)
        time.sleep(POLL_S)


def _ending(op: dict):
    if op["state"] == "succeeded":
        return {"operation": op["id"], "state": "succeeded", "result": op["result"]}
    message = f"operation {op['id']} {op['state']}: {op['error']['code']}: {op['error']['message']}"
    if op["state"] in {"cancelled", "rejected"}:
        return Cancelled(message=message)
    return Failed(message=message)


def _start_recorded(svc, record) -> dict:
    """Records the operation once (a resumed run finds it by its key) and starts it."""
    op = _operation_of_run(svc)
    if op is None:
        with deferred_start():
            op = record()
    if op["state"] == "queued" and not op["attempts"] and op.get("deployment_run_id") is None:
        start(svc, op, run_id=str(flow_run.id))
    return op


@flow(name="hostflow-operation", on_cancellation=[_on_cancel])
def operation(operation_id: str):
    """Follows an operation started elsewhere (the API) that waits for approval."""
    return follow(_services(), operation_id)


@flow(name="allocate-host", on_cancellation=[_on_cancel])
def allocate_host(request: AllocateHost):
    """Allocates a host, as POST /v1/hosts does."""
    svc = _services()

    def record() -> dict:
        body = validate_allocate(request.model_dump(exclude_none=True), svc.settings)
        return submit_allocate(svc, body, **_ui_submission())[0]

    return follow(svc, _start_recorded(svc, record)["id"])


@flow(name="reclaim-host", on_cancellation=[_on_cancel])
def reclaim_host(request: ReclaimHost):
    """Reclaims a host, as DELETE /v1/hosts/{id} does."""
    svc = _services()

    def record() -> dict:
        host = _resolve_host(svc, request.host, request.env)
        return submit_reclaim(svc, host["id"], delete_volumes=request.delete_volumes, **_ui_submission())[0]

    return follow(svc, _start_recorded(svc, record)["id"])


def _resolve_host(svc, ref: str, env: str | None) -> dict:
    live = [h for h in svc.hosts.list() if h["state"] != "deleted"]
    found = [h for h in live if h["id"] == ref] or [h for h in live if h["name"] == ref and env in (None, h["env"])]
    if len(found) != 1:
        raise HostflowError(f"{len(found)} live hosts match {ref!r}" + (f" in env {env}" if env else "") +
                            "; name one host (add env where a name is in several)", code="host_not_found")
    return found[0]


@flow(name="create-volume", on_cancellation=[_on_cancel])
def create_volume(request: CreateVolume):
    """Creates a volume, as POST /v1/volumes does."""
    svc = _services()

    def record() -> dict:
        refuse_out_of_range(size_limit(request.size_gb, svc.settings))
        return submit_create_volume(svc, request, **_ui_submission())

    return follow(svc, _start_recorded(svc, record)["id"])


class DetachVolume(AttachVolume):
    pass


def _host_flow(name: str, model: type[BaseModel], submit, doc: str, check=lambda request, settings: None):
    """A deployment for an operation on one host, named by name (and env) or id."""

    def run(host: str, request, env: str | None = None):
        svc = _services()

        def record() -> dict:
            check(request, svc.settings)
            return submit(svc, _resolve_host(svc, host, env)["id"], request, **_ui_submission())

        return follow(svc, _start_recorded(svc, record)["id"])

    run.__annotations__ = {"host": str, "request": model, "env": str | None}
    run.__name__ = run.__qualname__ = name.replace("-", "_")
    run.__doc__ = doc
    return flow(name=name, on_cancellation=[_on_cancel])(run)


def _flavor_ok(request, settings) -> None:
    refuse_out_of_range(flavor_limits(request.flavor, settings))


resize_host = _host_flow("resize-host", ResizeHost, submit_resize, "Resizes a host, as POST .../resize does.",
                         _flavor_ok)
snapshot_host = _host_flow("snapshot-host", SnapshotHost, submit_snapshot,
                           "Snapshots a host's root disk into an image, as POST .../snapshot does.")
rebuild_host = _host_flow("rebuild-host", RebuildHost, submit_rebuild,
                          "Rebuilds a host from an image or snapshot, as POST .../rebuild does.")
register_name = _host_flow("register-name", RegisterName, submit_register,
                           "Registers a DNS name for a host, as POST .../names does.")
attach_volume = _host_flow("attach-volume", AttachVolume,
                           lambda svc, host_id, r, **who: submit_attach(svc, host_id, r.volume_id, **who),
                           "Attaches a volume to a host, as POST .../volumes does.")
detach_volume = _host_flow("detach-volume", DetachVolume,
                           lambda svc, host_id, r, **who: submit_detach(svc, host_id, r.volume_id, **who),
                           "Detaches a volume from a host, as DELETE .../volumes/{id} does.")

DEPLOYMENTS = (operation, allocate_host, reclaim_host, create_volume, resize_host, snapshot_host, rebuild_host,
               register_name, attach_volume, detach_volume)
