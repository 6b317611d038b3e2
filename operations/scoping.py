"""Project scoping: an `operator` token acts only on the hosts and volumes (and what
hangs off them: names, shares, backups, operations) of its own projects. For anything
else it gets exactly the 404 an unknown id gets, so it cannot tell that it exists.
`admin` and `viewer` tokens see every project (a viewer cannot write anyway).

The API checks every authenticated request with `check_scope` (`api.scoping`), so a new
route that takes `host_id`, `volume_id`, `backup_id` or `op_id` is scoped without more code."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

from infra.errors import HostflowError, NotFound
from operations.services import Services


class Forbidden(HostflowError):
    code, status = "forbidden", 403


def scoped(identity: dict) -> bool:
    return identity["role"] == "operator"


def visible(identity: dict, project: str | None) -> bool:
    return not scoped(identity) or project in (identity.get("projects") or [])


def sees_for(identity: dict) -> Callable[[str], bool]:
    """The token's `sees` predicate over projects (as `lookup.find_host` and
    `image_access` take it): every project for an admin or viewer, else its own."""
    return partial(visible, identity)


def only_visible(identity: dict, rows: list[dict], project_of=lambda row: row["project"]) -> list[dict]:
    return rows if not scoped(identity) else [r for r in rows if visible(identity, project_of(r))]


def visible_projects(identity: dict) -> list[str] | None:
    """The projects a query must keep to; None: every project."""
    return list(identity.get("projects") or []) if scoped(identity) else None


def project_by_id(store, key: str):
    """A `project_of` for rows that point at a host or volume (`key`), one lookup per id."""
    projects: dict[str, str | None] = {}

    def project_of(row: dict) -> str | None:
        ref = row.get(key)
        if ref not in projects:
            try:
                projects[ref] = store.get(ref)["project"] if ref else None
            except NotFound:
                projects[ref] = None
        return projects[ref]

    return project_of


def check_scope(svc: Services, identity: dict, ids: dict, creates_in: str | None = None) -> None:
    """404 for another project's host/volume/backup/operation named in `ids`; 403 for
    creating in another project (`creates_in`)."""
    if not scoped(identity):
        return
    for key, (project_of, missing) in _resolvers(svc).items():
        if ids.get(key) and not visible(identity, project_of(ids[key])):
            raise missing(ids[key])
    if creates_in is not None and not visible(identity, creates_in):
        raise Forbidden(f"this token may not create in project {creates_in!r}", code="project_not_allowed")


def _resolvers(svc: Services) -> dict:
    """id parameter -> (id -> project, id -> the 404 an unknown id gets). The lookups raise
    that same 404 themselves for an id that does not exist."""
    return {
        "host_id": (lambda i: svc.hosts.get(i)["project"],
                    lambda i: NotFound(f"host {i} not found", code="host_not_found")),
        "volume_id": (lambda i: svc.volumes.get(i)["project"],
                      lambda i: NotFound(f"volume {i} not found", code="volume_not_found")),
        "backup_id": (lambda i: svc.volumes.get(svc.backups.get(i)["volume_id"])["project"],
                      lambda i: NotFound(f"backup {i} not found", code="backup_not_found")),
        "op_id": (lambda i: operation_project(svc, svc.operations.get(i)),
                  lambda i: NotFound(f"operation {i} not found")),
    }


def operation_project(svc: Services, op: dict) -> str | None:
    """An operation belongs to its host's or volume's project; others (images) to none."""
    if op.get("host_id"):
        return svc.hosts.get(op["host_id"])["project"]
    if op.get("volume_id"):
        return svc.volumes.get(op["volume_id"])["project"]
    return None
