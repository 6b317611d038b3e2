"""A ticket's request becomes an operation like any other, remembering where to report its end,
within the projects its source acts in (webhooks.sources)."""
from __future__ import annotations

from infra.errors import Invalid
from operations.hosts import submit_allocate, submit_reclaim
from operations.lookup import find_host
from operations.origin import Origin
from operations.power import submit_action
from operations.requests import HostAction, ReclaimOptions, validate_allocate
from operations.services import Services
from webhooks import sources
from webhooks.ticket import Ticket
from webhooks.tickets.mapping import POWER


def submit_ticket(svc: Services, ticket: Ticket) -> tuple[dict, bool]:
    """A delivery whose key was recorded (the same signed event again) answers that
    operation before anything is looked up again: a reclaim replayed after a new host took
    the reclaimed one's name answers the first reclaim, it never reclaims the new host."""
    done = svc.operations.by_key(ticket.key)
    if done is not None:
        if done["kind"] != ticket.kind:
            raise Invalid("this delivery's key was already used with a different request",
                          code="idempotency_key_reused")
        return done, False
    sees = sources.sees(svc.settings, ticket.source)
    origin = Origin(ticket.source, ticket.requester, ticket.key, ticket.reply_to, sees=sees)
    if ticket.kind == "allocate_host":
        request = validate_allocate(ticket.params, svc.settings)
        sources.check_creates_in(svc.settings, ticket.source, request.project)
        return submit_allocate(svc, request, origin)
    params = dict(ticket.params)
    name, env = params.pop("name"), params.pop("env")
    if ticket.kind in POWER:
        host = find_host(svc, str(name), str(env), sees=sees)
        request = HostAction.model_validate({"action": ticket.kind.removesuffix("_host"), **params})
        return submit_action(svc, host["id"], request, origin), True
    options = ReclaimOptions.model_validate(params)
    host = find_host(svc, str(name), str(env), sees=sees, deleted_too=True)
    return submit_reclaim(svc, host["id"], origin, delete_volumes=options.delete_volumes)
