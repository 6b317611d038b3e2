"""The Prefect deployments for hosts (served by `python -m workers.deployments.serve`).

A run started in the Prefect UI behaves as a request to the API: its typed parameters
(the API's own pydantic models, so the UI renders a form) go through the service
layer's validation and submission, recorded as an operation with source `prefect-ui`;
the operation then runs as any other (the flow runner on the `flows` queue, its
functions on the hypervisors' queues) while this run follows it to its end
(`workers.deployments.run`)."""
from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from operations.dns import submit_register
from operations.hosts import submit_allocate, submit_reclaim
from operations.requests import (
    AllocateHost,
    AttachVolume,
    CreateVolume,
    RebuildHost,
    RegisterName,
    ResizeHost,
    SnapshotHost,
    validate_allocate,
)
from operations.resize import submit_resize
from operations.snapshots import submit_rebuild, submit_snapshot
from operations.volumes import submit_attach, submit_create_volume, submit_detach
from workers.deployments.run import follow, host_id, on_cancel, origin, record_and_follow, services, started_for


class ReclaimHost(BaseModel):
    host: str = Field(min_length=1, max_length=64, description="the host's name or id")
    env: str | None = Field(default=None, description="its environment, where the name is in several")
    delete_volumes: bool = Field(default=False, description="delete its volumes instead of detaching them")


class DetachVolume(AttachVolume):
    pass



@flow(name="hostflow-operation", on_cancellation=[on_cancel])
def operation(operation_id: str):
    """Follows an operation started elsewhere (the API) that waits for approval: only the
    run the API started for it (`started_for`)."""
    svc = services()
    started_for(svc, operation_id)
    return follow(svc, operation_id)


@flow(name="allocate-host", on_cancellation=[on_cancel])
def allocate_host(request: AllocateHost):
    """Allocates a host, as POST /v1/hosts does."""
    return record_and_follow(lambda svc: submit_allocate(
        svc, validate_allocate(request.model_dump(exclude_none=True), svc.settings), origin())[0])


@flow(name="reclaim-host", on_cancellation=[on_cancel])
def reclaim_host(request: ReclaimHost):
    """Reclaims a host, as DELETE /v1/hosts/{id} does."""
    return record_and_follow(lambda svc: submit_reclaim(svc, host_id(svc, request.host, request.env), origin(),
                                           delete_volumes=request.delete_volumes)[0])


@flow(name="create-volume", on_cancellation=[on_cancel])
def create_volume(request: CreateVolume):
    """Creates a volume, as POST /v1/volumes does."""
    return record_and_follow(lambda svc: submit_create_volume(svc, request, origin()))


def _host_flow(name: str, model: type[BaseModel], submit, doc: str):
    """A deployment for an operation on one host, named by name (and env) or id."""

    def run(host: str, request, env: str | None = None):
        return record_and_follow(lambda svc: submit(svc, host_id(svc, host, env), request, origin()))

    run.__annotations__ = {"host": str, "request": model, "env": str | None}
    run.__name__ = run.__qualname__ = name.replace("-", "_")
    run.__doc__ = doc
    return flow(name=name, on_cancellation=[on_cancel])(run)


resize_host = _host_flow("resize-host", ResizeHost, submit_resize, "Resizes a host, as POST .../resize does.")
snapshot_host = _host_flow("snapshot-host", SnapshotHost, submit_snapshot,
                           "Snapshots a host's root disk into an image, as POST .../snapshot does.")
rebuild_host = _host_flow("rebuild-host", RebuildHost, submit_rebuild,
                          "Rebuilds a host from an image or snapshot, as POST .../rebuild does.")
register_name = _host_flow("register-name", RegisterName, submit_register,
                           "Registers a DNS name for a host, as POST .../names does.")
attach_volume = _host_flow("attach-volume", AttachVolume,
                           lambda svc, host, r, origin: submit_attach(svc, host, r.volume_id, origin),
                           "Attaches a volume to a host, as POST .../volumes does.")
detach_volume = _host_flow("detach-volume", DetachVolume,
                           lambda svc, host, r, origin: submit_detach(svc, host, r.volume_id, origin),
                           "Detaches a volume from a host, as DELETE .../volumes/{id} does.")

DEPLOYMENTS = (operation, allocate_host, reclaim_host, create_volume, resize_host, snapshot_host, rebuild_host,
               register_name, attach_volume, detach_volume)
