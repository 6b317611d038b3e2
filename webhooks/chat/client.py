"""The API's calls a chat command makes, made in-process on behalf of a chat user: the
operations it starts record source (`slack`, `mattermost`), requester and reply_to, and
it sees only the hosts and volumes of the user's projects (another project's is "not
found", as an unknown id is). Shaped like `cli.client.Client` so `cli.runner.run`
drives it as the CLI drives the HTTP API; each call goes through the validation and
submit functions the REST routes use (`webhooks.chat.writes`)."""
from __future__ import annotations

import re
from collections.abc import Callable

from cli.runner import CommandFailed
from infra.errors import NotFound
from operations.scoping import Forbidden, operation_project
from webhooks.chat import writes
from webhooks.chat.users import ChatUser

ID = r"([^/]+)"


def _hosts(client: ChatClient, body: dict) -> dict:
    return {"hosts": [h for h in client.svc.hosts.list() if client.user.sees(h["project"])]}


def _volumes(client: ChatClient, body: dict) -> dict:
    return {"volumes": [v for v in client.svc.volumes.list() if client.user.sees(v["project"])]}


def _operation(client: ChatClient, body: dict, op_id: str) -> dict:
    """Another project's host's (or volume's) operation is as absent as that host."""
    op = client.svc.operations.get(op_id)
    project = operation_project(client.svc, op)
    if project is not None and not client.user.sees(project):
        raise NotFound(f"operation {op_id} not found")
    return {"operation": op}


# (method, path) -> handler(client, body, *path ids); the first match answers
ROUTES: tuple[tuple[str, re.Pattern, Callable[..., dict]], ...] = tuple(
    (method, re.compile(f"^{path}$"), handler) for method, path, handler in (
        ("GET", "/v1/hosts", _hosts),
        ("GET", "/v1/volumes", _volumes),
        ("GET", f"/v1/operations/{ID}", _operation),
        ("POST", "/v1/hosts", writes.allocate),
        ("DELETE", f"/v1/hosts/{ID}", writes.reclaim),
        ("POST", f"/v1/hosts/{ID}/resize", writes.resize),
        ("POST", f"/v1/hosts/{ID}/resize/confirm", writes.confirm),
        ("POST", f"/v1/hosts/{ID}/resize/revert", writes.revert),
        ("POST", "/v1/volumes", writes.create_volume),
        ("POST", f"/v1/hosts/{ID}/volumes", writes.attach),
        ("DELETE", f"/v1/hosts/{ID}/volumes/{ID}", writes.detach),
        ("POST", f"/v1/hosts/{ID}/rebuild", writes.rebuild),
        ("POST", f"/v1/hosts/{ID}/snapshot", writes.snapshot),
        ("POST", f"/v1/hosts/{ID}/names", writes.register_name),
    ))


class ChatClient:
    def __init__(self, svc, user: ChatUser, source: str, reply_to: dict | None,
                 on_submit: Callable[[dict], None] | None = None):
        self.svc, self.user, self.source, self.reply_to = svc, user, source, reply_to
        self.on_submit = on_submit or (lambda op: None)
        self.key: str | None = None

    def call(self, method: str, path: str, body=None, headers=None) -> dict:
        for verb, pattern, handler in ROUTES:
            match = pattern.match(path)
            if verb == method and match:
                return self._call(method, handler, body or {}, match.groups(), (headers or {}).get("Idempotency-Key"))
        raise CommandFailed(f"{method} {path} is not available from chat; use the hostflow CLI")

    def _call(self, method: str, handler, body: dict, ids: tuple[str, ...], key: str | None) -> dict:
        if method == "GET":
            return handler(self, body, *ids)
        if not self.user.may_change:
            raise Forbidden(f"your role ({self.user.role}) may only read")
        self.key = key
        answer = handler(self, body, *ids)
        self.on_submit(answer["operation"])
        return answer

    def who(self) -> dict:
        """What a submit function records of the request: its key, source and requester."""
        return {"key": self.key, "source": self.source, "requester": f"{self.user.name} ({self.user.key})"}

    def host(self, host_id: str) -> dict:
        host = self.svc.hosts.get(host_id)
        if not self.user.sees(host["project"]):
            raise NotFound(f"host {host_id} not found", code="host_not_found")
        return host

    def volume(self, volume_id: str) -> dict:
        volume = self.svc.volumes.get(volume_id)
        if not self.user.sees(volume["project"]):
            raise NotFound(f"volume {volume_id} not found", code="volume_not_found")
        return volume

    def may_create_in(self, project: str) -> None:
        if not self.user.sees(project):
            raise Forbidden(f"you may not create in project {project!r}", code="project_not_allowed")
