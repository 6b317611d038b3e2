"""What a ticketing source hands the API (a request for an operation, and where to
report its end) and what it hands the notifier (the HTTP call that reports it)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ticket:
    source: str  # jira, servicenow
    kind: str  # allocate_host, reclaim_host
    params: dict  # the operation's request body, as the REST API takes it
    key: str  # idempotency key
    requester: str
    reply_to: dict  # {"target": source, ...}: kept on the operation for the report-back


@dataclass(frozen=True)
class Report:
    method: str
    url: str
    body: dict
