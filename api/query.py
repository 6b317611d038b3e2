"""The query parameters each /v1 route takes, checked before the route runs, so that a
typo never means "do it for real": an unknown parameter is `400 unknown_parameter`, and
`?dry_run` on an operation that has no plan is `422 dry_run_not_supported`, with
nothing done either way."""
from __future__ import annotations

from flask import request

from infra.errors import HostflowError, Invalid

ANY = frozenset({"*"})  # the route checks its own filters (its own 422 unknown_filter)

# endpoint -> the parameters it takes; a /v1 endpoint not listed takes none
TAKES: dict[str, frozenset[str]] = {
    "hosts.create_host": frozenset({"dry_run"}),
    "hosts.delete_host": frozenset({"dry_run", "delete_volumes"}),
    "hosts.list_hosts": frozenset({"include_deleted"}),
    "power.action": frozenset({"dry_run"}),
    "power.console": frozenset({"lines"}),
    "console.console_ws": frozenset({"token"}),
    "volumes.create_volume": frozenset({"dry_run"}),
    "volumes.delete_volume": frozenset({"dry_run"}),
    "volumes.attach": frozenset({"dry_run"}),
    "volumes.detach": frozenset({"dry_run"}),
    "volumes.extend": frozenset({"dry_run"}),
    "backups.list_backups": frozenset({"volume_id", "include_deleted"}),
    "dns.records": frozenset({"host_id", "include_deleted"}),
    "networks.list_networks": frozenset({"env"}),
    "shares.list_shares": frozenset({"env"}),
    "operations.list_operations": ANY,
    "images.list_images": ANY,
    "audit.audit": ANY,
    "drift.report": ANY,
}
# Signed sources: their senders build the URL and may add parameters of their own.
SOURCES = frozenset({"webhooks", "tickets", "chat", "slack_interactive"})


class UnknownParameter(HostflowError):
    code, status = "unknown_parameter", 400


def check_query() -> None:
    if not request.path.startswith("/v1/") or request.endpoint is None:
        return
    if request.blueprint in SOURCES:
        return
    takes = TAKES.get(request.endpoint, frozenset())
    if takes is ANY:
        return
    unknown = sorted(set(request.args) - takes)
    if "dry_run" in unknown:
        raise Invalid(f"{request.method} {request.path} has no dry run; nothing was done",
                      code="dry_run_not_supported")
    if unknown:
        allowed = ", ".join(sorted(takes)) or "none"
        raise UnknownParameter(f"unknown query parameter {unknown[0]!r} (this call takes: {allowed}); nothing was done",
                               details={"unknown": unknown})
