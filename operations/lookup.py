"""The one host a request names: by id, else by name (and environment), among the
hosts the caller may see. The chat commands, the Prefect deployments and the ticket
sources name hosts this way; the REST API names them by id."""
from __future__ import annotations

from collections.abc import Callable

from infra.errors import Conflict, NotFound
from operations.services import Services


def everyone(project: str) -> bool:
    return True


def find_host(svc: Services, ref: str, env: str | None = None, sees: Callable[[str], bool] = everyone,
              deleted_too: bool = False) -> dict:
    """The live host with id `ref`, else the live host named `ref` (in `env` when given).
    A host the caller may not see is as absent as an unknown one. With `deleted_too`, a
    name with no live host finds the last one deleted, so that a repeated reclaim answers
    with the operation that reclaimed it."""
    by_id = _by_id(svc, ref)
    if by_id and sees(by_id["project"]) and (deleted_too or by_id["state"] != "deleted"):
        return by_id
    named = [h for h in svc.hosts.named(ref, env) if sees(h["project"])]
    if len(named) > 1:
        envs = ", ".join(sorted(h["env"] for h in named))
        raise Conflict(f"{len(named)} hosts are named {ref!r} (envs {envs}): add env=<env>",
                       code="host_name_ambiguous", details={"envs": sorted(h["env"] for h in named)})
    if named:
        return named[0]
    last = svc.hosts.by_name(ref, env) if deleted_too and env else None
    if last and sees(last["project"]):
        return last
    raise NotFound(f"no host named {ref!r}" + (f" in env {env}" if env else ""), code="host_not_found")


def _by_id(svc: Services, ref: str) -> dict | None:
    try:
        return svc.hosts.get(ref)
    except NotFound:
        return None
