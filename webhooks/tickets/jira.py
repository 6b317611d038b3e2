"""Jira: an issue webhook in (signed `X-Hub-Signature: sha256=<hex>`), a comment on
the issue out (REST `POST /rest/api/2/issue/{key}/comment`)."""
from __future__ import annotations

import hashlib
from urllib.parse import quote

from infra.errors import Invalid
from webhooks.ticket import Report, Ticket
from webhooks.tickets.mapping import Mapping, lookup

SIGNATURE_HEADER = "X-Hub-Signature"
MAX_KEY_CHARS = 255  # operations.idempotency_key
DEFAULT_MAPPING = {
    "rules": [
        {"match": {"issue.fields.issuetype.name": "Host Request", "transition_to": "Approved"},
         "operation": "allocate_host"},
        {"match": {"issue.fields.issuetype.name": "Host Reclaim", "transition_to": "Approved"},
         "operation": "reclaim_host"},
    ],
    "fields": {"name": "issue.fields.customfield_10010", "env": "issue.fields.customfield_10011",
               "image": "issue.fields.customfield_10012", "vcpus": "issue.fields.customfield_10013",
               "ram_mb": "issue.fields.customfield_10014", "disk_gb": "issue.fields.customfield_10015",
               "project": "issue.fields.customfield_10016", "names": "issue.fields.customfield_10017"},
    "defaults": {},
}


def mapping(settings) -> Mapping:
    return Mapping.parse(settings.jira_mapping, DEFAULT_MAPPING)


def ticket(payload: dict, raw: bytes, rules: Mapping) -> Ticket | None:
    """The operation an issue event asks for; None when the mapping says it asks for none.
    `raw`: the signed body, whose event (or, lacking one, whose bytes) is the key."""
    key = lookup(payload, "issue.key")
    if not key:
        raise Invalid("not a Jira issue event: issue.key is missing", code="missing_fields",
                      details={"missing": [{"field": "issue.key", "path": "issue.key"}]})
    view = {**payload, "transition_to": moved_to(payload)}
    kind = rules.operation(view)
    if kind is None:
        return None
    return Ticket(source="jira", kind=kind, params=rules.request(kind, view),
                  key=event_key(payload, raw),
                  requester=requester(payload.get("user") or {}),
                  reply_to={"target": "jira", "issue": key})


def event_key(payload: dict, raw: bytes) -> str:
    """The idempotency key, from what the signature covers (never from a header, which a
    captured delivery could be resent with a new value of): the event's own identity, the
    issue with the event's timestamp and changelog id, which a redelivery of that event
    (a retry, or a second registration matching it) carries unchanged; for an event with
    neither, the SHA-256 of the signed body."""
    issue, event = lookup(payload, "issue.key"), payload.get("webhookEvent")
    stamp, change = payload.get("timestamp"), _obj(payload.get("changelog")).get("id")
    if _scalar(issue) and (_scalar(stamp) or _scalar(change)):
        key = "jira:" + ":".join(str(p) if _scalar(p) else "" for p in (issue, event, stamp, change))
        if len(key) <= MAX_KEY_CHARS:
            return key
    return f"jira:sha256:{hashlib.sha256(raw).hexdigest()}"


def _scalar(value) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool) and str(value) != ""


def moved_to(payload: dict) -> str | None:
    """The status the issue moved to: from the changelog (Jira Cloud and Server), a
    workflow post-function's transition, or, for a new issue, its status."""
    items = _obj(payload.get("changelog")).get("items")
    for item in items if isinstance(items, list) else []:
        if _obj(item).get("field") == "status":
            return item.get("toString")
    transition = _obj(payload.get("transition"))
    if transition:
        return transition.get("to_status") or transition.get("transitionName")
    if payload.get("webhookEvent") == "jira:issue_created":
        return lookup(payload, "issue.fields.status.name")
    return None


def _obj(value) -> dict:
    """A part of the payload that should be an object; anything else counts as absent."""
    return value if isinstance(value, dict) else {}


def requester(user: dict) -> str:
    user = _obj(user)
    ident = user.get("accountId") or user.get("name") or user.get("key") or "unknown"
    return f"{user['displayName']} ({ident})" if user.get("displayName") else ident


def comment(reply_to: dict, text: str, settings) -> Report:
    """Only to the configured Jira, never to a URL a payload names (the credentials go with
    it); none configured: no URL, and the notifier drops the report (`jira_url_unset`)."""
    if not settings.jira_url:
        return Report("POST", "", {"body": text})
    base = settings.jira_url.rstrip("/")
    return Report("POST", f"{base}/rest/api/2/issue/{quote(reply_to['issue'])}/comment", {"body": text})


def auth(settings) -> tuple[str, str] | None:
    return (settings.jira_user, settings.jira_api_token) if settings.jira_user else None
