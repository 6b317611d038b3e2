"""The Prefect deployments for hosts (served by `python -m workers.deployments.serve`).

A run started in the Prefect UI behaves as a request to the API: its typed parameters
(the API's own pydantic models, so the UI renders a form) go through the service
layer's validation and submission, recorded as an operation with source `prefect-ui`;
the operation then runs as any other (the flow runner on the `flows` queue, its
functions on the hypervisors' queues) while this run follows it to its end
(`workers.deployments.run`).

Each takes a `project` (but `hostflow-operation`, which follows an operation the API
recorded): the run acts in that project alone, which HOSTFLOW_PREFECT_UI_PROJECTS must
list (`workers.deployments.run.Scope`). Allocations and new volumes are created in it
(their request models here have no `project` of their own); hosts and volumes of other
projects are not found."""
from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field, create_model

from operations.dns import submit_register
from operations.hosts import submit_allocate, submit_reclaim
from operations.power import submit_action
from operations.requests import (
    AllocateHost,
    AttachVolume,
    CreateVolume,
    HostAction,
    RebuildHost,
    RegisterName,
    ResizeHost,
    SnapshotHost,
    Strict,
    validate_allocate,
)
from operations.resize import submit_resize
from operations.snapshots import submit_rebuild, submit_snapshot
from operations.volumes import submit_attach, submit_create_volume, submit_detach
from workers.deployments.run import follow, on_cancel, record_and_follow, services, started_for


class ReclaimHost(BaseModel):
    host: str = Field(min_length=1, max_length=64, description="the host's name or id")
    env: str | None = Field(default=None, description="its environment, where the name is in several")
    delete_volumes: bool = Field(default=False, description="delete its volumes instead of detaching them")


class DetachVolume(AttachVolume):
    pass


def _in_the_runs_project(model: type[BaseModel]) -> type[BaseModel]:
    """The API's request model without its `project`: the run's `project` parameter is it."""
    fields = {name: (f.annotation, f) for name, f in model.model_fields.items() if name != "project"}
    return create_model(model.__name__, __base__=Strict, __doc__=model.__doc__, **fields)


AllocateInProject = _in_the_runs_project(AllocateHost)
CreateVolumeInProject = _in_the_runs_project(CreateVolume)


@flow(name="hostflow-operation", on_cancellation=[on_cancel])
def operation(operation_id: str):
    """Follows an operation started elsewhere (the API) that waits for approval: only the
    run the API started for it (`started_for`)."""
    svc = services()
    started_for(svc, operation_id)
    return follow(svc, operation_id)


@flow(name="allocate-host", on_cancellation=[on_cancel])
def allocate_host(project: str, request: AllocateInProject):
    """Allocates a host in `project`, as POST /v1/hosts does."""
    return record_and_follow(project, lambda svc, scope: submit_allocate(
        svc, validate_allocate({**request.model_dump(exclude_none=True), "project": scope.project}, svc.settings),
        scope.origin())[0])


@flow(name="reclaim-host", on_cancellation=[on_cancel])
def reclaim_host(project: str, request: ReclaimHost):
    """Reclaims a host of `project`, as DELETE /v1/hosts/{id} does."""
    return record_and_follow(project, lambda svc, scope: submit_reclaim(
        svc, scope.host_id(svc, request.host, request.env), scope.origin(),
        delete_volumes=request.delete_volumes)[0])


@flow(name="create-volume", on_cancellation=[on_cancel])
def create_volume(project: str, request: CreateVolumeInProject):
    """Creates a volume in `project`, as POST /v1/volumes does."""
    return record_and_follow(project, lambda svc, scope: submit_create_volume(
        svc, CreateVolume(**request.model_dump(), project=scope.project), scope.origin()))


def _host_flow(name: str, model: type[BaseModel], submit, doc: str, volume=False):
    """A deployment for an operation on one host of `project`, named by name (and env) or
    id; with `volume`, the request's volume must be the project's too."""

    def run(project: str, host: str, request, env: str | None = None):
        def record(svc, scope):
            origin = scope.checked(svc, volume_id=request.volume_id) if volume else scope.origin()
            return submit(svc, scope.host_id(svc, host, env), request, origin)
        return record_and_follow(project, record)

    run.__annotations__ = {"project": str, "host": str, "request": model, "env": str | None}
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
                           "Attaches a volume to a host, as POST .../volumes does.", volume=True)
detach_volume = _host_flow("detach-volume", DetachVolume,
                           lambda svc, host, r, origin: submit_detach(svc, host, r.volume_id, origin),
                           "Detaches a volume from a host, as DELETE .../volumes/{id} does.", volume=True)
host_action = _host_flow("host-action", HostAction, submit_action,
                         "A power action on a host (start, stop, reboot, suspend, resume, pause, unpause), as "
                         "POST .../actions does.")

DEPLOYMENTS = (operation, allocate_host, reclaim_host, create_volume, resize_host, snapshot_host, rebuild_host,
               register_name, attach_volume, detach_volume, host_action)
