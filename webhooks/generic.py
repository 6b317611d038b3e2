"""A generic tool's signed request (`{"operation", "params"}`) becomes an operation,
within the projects its source acts in (webhooks.sources)."""
from __future__ import annotations

from infra.errors import Invalid, NotFound
from operations.hosts import submit_allocate, submit_reclaim
from operations.origin import Origin
from operations.requests import GenericWebhook, ReclaimHost, validate_allocate
from operations.services import Services
from webhooks import sources


def submit_generic(svc: Services, source: str, hook: GenericWebhook, key: str | None) -> dict:
    origin = Origin(source, source, key, sees=sources.sees(svc.settings, source))
    if hook.operation == "allocate_host":
        request = validate_allocate(hook.params, svc.settings)
        sources.check_creates_in(svc.settings, source, request.project)
        return submit_allocate(svc, request, origin)[0]
    if hook.operation == "reclaim_host":
        params = ReclaimHost.model_validate(hook.params)
        _check_host(svc, source, params.host_id)
        return submit_reclaim(svc, params.host_id, origin, delete_volumes=params.delete_volumes)[0]
    raise Invalid(f"unknown operation {hook.operation!r}", code="unknown_operation")


def _check_host(svc: Services, source: str, host_id: str) -> None:
    """Another project's host is as absent as an unknown one."""
    if not sources.sees(svc.settings, source)(svc.hosts.get(host_id)["project"]):
        raise NotFound(f"host {host_id} not found", code="host_not_found")
