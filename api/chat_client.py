"""The API's calls a chat command makes, made in-process on behalf of a chat user: the
operations it starts record source (`slack`, `mattermost`), requester and reply_to, and
it sees only the hosts of the user's projects. Shaped like `api.client.Client` so
`api.command_run.run` drives it as the CLI drives the HTTP API."""
from __future__ import annotations

import re

from api.command_run import CommandFailed
from api.routes_hosts import validate_allocate
from api.submit import submit_allocate, submit_reclaim
from infra.errors import NotFound
from webhooks.chat import ChatUser

OPERATION = re.compile(r"^/v1/operations/([^/]+)$")
HOST = re.compile(r"^/v1/hosts/([^/]+)$")


class ChatClient:
    def __init__(self, svc, user: ChatUser, source: str, reply_to: dict):
        self.svc, self.user, self.source, self.reply_to = svc, user, source, reply_to

    def call(self, method: str, path: str, body=None, headers=None) -> dict:
        key = (headers or {}).get("Idempotency-Key")
        if (method, path) == ("GET", "/v1/hosts"):
            return {"hosts": [h for h in self.svc.hosts.list() if self.user.sees(h["project"])]}
        if method == "GET" and OPERATION.match(path):
            return {"operation": self._operation(OPERATION.match(path)[1])}
        if (method, path) == ("POST", "/v1/hosts"):
            return self._allocate(body, key)
        if method == "DELETE" and HOST.match(path):
            return self._reclaim(HOST.match(path)[1], key)
        raise CommandFailed(f"{method} {path} is not available from chat yet; use the hostflow CLI")

    def _operation(self, op_id: str) -> dict:
        """Another project's host's operation is as absent as that host."""
        op = self.svc.operations.get(op_id)
        if op["host_id"] and not self.user.sees(self.svc.hosts.get(op["host_id"])["project"]):
            raise NotFound(f"operation {op_id} not found")
        return op

    def _common(self, key: str | None) -> dict:
        requester = f"{self.user.name} ({self.user.key})"
        return {"key": key, "source": self.source, "requester": requester, "reply_to": self.reply_to}

    def _allocate(self, body: dict, key: str | None) -> dict:
        request = validate_allocate(body, self.svc.settings)
        if not self.user.sees(request.project):
            raise CommandFailed(f"you may not allocate in project {request.project}")
        op, _ = submit_allocate(self.svc, request, **self._common(key))
        return {"operation": op, "host": {"id": op["host_id"]}}

    def _reclaim(self, host_id: str, key: str | None) -> dict:
        op, _ = submit_reclaim(self.svc, host_id, **self._common(key))
        return {"operation": op, "host": {"id": host_id}}
