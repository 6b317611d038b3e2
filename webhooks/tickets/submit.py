"""A ticket's request becomes an operation like any other, remembering where to report its end."""
from __future__ import annotations

from infra.errors import NotFound
from operations.hosts import submit_allocate, submit_reclaim
from operations.requests import ReclaimOptions, validate_allocate
from webhooks.ticket import Ticket


def submit_ticket(svc, ticket: Ticket) -> tuple[dict, bool]:
    common = {"key": ticket.key, "source": ticket.source, "requester": ticket.requester,
              "reply_to": ticket.reply_to}
    if ticket.kind == "allocate_host":
        return submit_allocate(svc, validate_allocate(ticket.params, svc.settings), **common)
    params = dict(ticket.params)
    name, env = params.pop("name"), params.pop("env")
    options = ReclaimOptions.model_validate(params)
    host = svc.hosts.by_name(str(name), str(env))
    if host is None:
        raise NotFound(f"no host named {name} in {env}", code="host_not_found")
    return submit_reclaim(svc, host["id"], delete_volumes=options.delete_volumes, **common)
