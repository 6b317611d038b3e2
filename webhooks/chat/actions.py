"""What each verb of the grammar does from chat: service calls, made for a chat user on
the hosts and volumes of the user's projects (another project's is "not found", as an
unknown one is). Every operation they record carries the chat's source, requester and
reply_to, so its end is posted back to the command's response_url."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cli.grammar import POWER_VERBS
from infra.errors import Conflict, NotFound
from operations.dns import submit_register
from operations.hosts import submit_allocate, submit_reclaim
from operations.lookup import find_host
from operations.origin import Origin
from operations.power import submit_action
from operations.redaction import shown_operation
from operations.requests import (
    CreateVolume,
    HostAction,
    RebuildHost,
    RegisterName,
    ResizeHost,
    SnapshotHost,
    validate_allocate,
)
from operations.resize import submit_confirm, submit_resize, submit_revert
from operations.scoping import Forbidden, operation_project
from operations.snapshots import submit_rebuild, submit_snapshot
from operations.volumes import submit_attach, submit_create_volume, submit_detach
from webhooks.chat.users import ChatUser


class Stopped(Conflict):
    """A command stopped before its last call: an operation it waited on did not succeed."""

    code = "command_stopped"


@dataclass
class Caller:
    """A chat user's command in flight: `started` hears of each operation as it is
    recorded, `wait` follows one to its end."""

    svc: object
    user: ChatUser
    source: str
    reply_to: dict | None = None
    started: Callable[[dict], None] = lambda op: None
    wait: Callable[[str], dict] = lambda op_id: {}
    delivery: str | None = None  # the signed request's key (webhooks.chat.slack.delivery_key)
    calls: int = 0

    def origin(self) -> Origin:
        """Each submission's key is the delivery's and the call's index in the command
        (`attach web1 1g`: 0 the volume, 1 its attachment): the same signed request
        delivered twice records each operation once."""
        key = None
        if self.delivery:
            key, self.calls = f"{self.delivery}:{self.calls}", self.calls + 1
        return Origin(self.source, f"{self.user.name} ({self.user.key})", key, reply_to=self.reply_to,
                      sees=self.user.sees)

    def host(self, ref: str, env: str | None) -> dict:
        return find_host(self.svc, ref, env, sees=self.user.sees)

    def volume(self, volume_id: str) -> dict:
        try:
            volume = self.svc.volumes.get(volume_id)
        except NotFound:
            volume = None
        if volume is None or not self.user.sees(volume["project"]):
            raise NotFound(f"volume {volume_id} not found", code="volume_not_found")
        return volume

    def may_create_in(self, project: str) -> None:
        if not self.user.sees(project):
            raise Forbidden(f"you may not create in project {project!r}", code="project_not_allowed")

    def record(self, op: dict) -> dict:
        self.started(op)
        return op


def hosts(caller: Caller, command) -> dict:
    return {"hosts": [h for h in caller.svc.hosts.list()
                      if caller.user.sees(h["project"]) and command.env in (None, h["env"])]}


def status(caller: Caller, command) -> dict:
    """Another project's host's (or volume's) operation is as absent as that host."""
    op_id = command.args["operation"]
    op = caller.svc.operations.get(op_id)
    project = operation_project(caller.svc, op)
    if project is not None and not caller.user.sees(project):
        raise NotFound(f"operation {op_id} not found")
    return {"operation": shown_operation(op)}


def allocate(caller: Caller, command) -> dict:
    request = validate_allocate(command.args, caller.svc.settings)
    caller.may_create_in(request.project)
    return caller.record(submit_allocate(caller.svc, request, caller.origin())[0])


def reclaim(caller: Caller, command) -> dict:
    host = caller.host(command.host, command.env)
    return caller.record(submit_reclaim(caller.svc, host["id"], caller.origin())[0])


def resize(caller: Caller, command) -> dict:
    host = caller.host(command.host, command.env)
    answer = command.args.get("answer")
    if answer:
        submit = submit_confirm if answer == "confirm" else submit_revert
        return caller.record(submit(caller.svc, host["id"], caller.origin()))
    flavor = {**command.args["flavor"]}
    flavor["disk_gb"] = flavor["disk_gb"] or host["flavor"]["disk_gb"]
    request = ResizeHost.model_validate({"flavor": flavor})
    return caller.record(submit_resize(caller.svc, host["id"], request, caller.origin()))


def attach(caller: Caller, command) -> dict:
    """`attach <host> <size>g` creates the volume on the host's node first, and attaches
    it only once it was created."""
    host = caller.host(command.host, command.env)
    volume_id = command.args.get("volume_id")
    if volume_id:
        caller.volume(volume_id)
    else:
        volume_id = _created_volume(caller, host, command.args)
    return caller.record(submit_attach(caller.svc, host["id"], volume_id, caller.origin()))


def _created_volume(caller: Caller, host: dict, args: dict) -> str:
    request = CreateVolume.model_validate({"name": args["name"], "size_gb": args["size_gb"], "env": host["env"],
                                           "project": host["project"], "hypervisor": host["hypervisor"]})
    caller.may_create_in(request.project)
    created = caller.record(submit_create_volume(caller.svc, request, caller.origin()))
    ended = caller.wait(created["id"])
    if ended["state"] != "succeeded":
        error = (ended.get("error") or {}).get("message") or ended["state"]
        raise Stopped(f"{ended['kind']} {ended['id']} ended {ended['state']}: {error}; nothing more was done")
    return created["volume_id"]


def detach(caller: Caller, command) -> dict:
    host = caller.host(command.host, command.env)
    volume = attached_volume(caller, host, command.volume)
    return caller.record(submit_detach(caller.svc, host["id"], volume["id"], caller.origin()))


def attached_volume(caller: Caller, host: dict, ref: str) -> dict:
    """Among the host's volumes, by id, else by name."""
    volumes = caller.svc.volumes.attached_to(host["id"])
    found = [v for v in volumes if v["id"] == ref] or [v for v in volumes if v["name"] == ref]
    if not found:
        raise NotFound(f"host {host['name']!r} has no volume {ref!r} attached", code="volume_not_found")
    if len(found) > 1:
        raise Conflict(f"host {host['name']!r} has {len(found)} volumes named {ref!r}: give its id",
                       code="volume_name_ambiguous")
    return found[0]


def rebuild(caller: Caller, command) -> dict:
    host = caller.host(command.host, command.env)
    request = RebuildHost.model_validate({"image": command.args["image"]})
    return caller.record(submit_rebuild(caller.svc, host["id"], request, caller.origin()))


def snapshot(caller: Caller, command) -> dict:
    host = caller.host(command.host, command.env)
    request = SnapshotHost.model_validate({"name": command.args["name"]})
    return caller.record(submit_snapshot(caller.svc, host["id"], request, caller.origin()))


def register_name(caller: Caller, command) -> dict:
    host = caller.host(command.host, command.env)
    request = RegisterName.model_validate({"fqdn": command.args["fqdn"], "type": "CNAME"})
    return caller.record(submit_register(caller.svc, host["id"], request, caller.origin()))


def power(caller: Caller, command) -> dict:
    host = caller.host(command.host, command.env)
    request = HostAction.model_validate({"action": command.args["action"], "force": command.args["force"]})
    return caller.record(submit_action(caller.svc, host["id"], request, caller.origin()))


READS = {"hosts": hosts, "status": status}
CHANGES = {"allocate": allocate, "reclaim": reclaim, "resize": resize, "attach": attach, "detach": detach,
           "rebuild": rebuild, "snapshot": snapshot, "dns": register_name, **dict.fromkeys(POWER_VERBS, power)}


def read(caller: Caller, command) -> dict:
    return READS[command.verb](caller, command)


def change(caller: Caller, command) -> dict:
    """The last operation the command started."""
    if not caller.user.may_change:
        raise Forbidden(f"your role ({caller.user.role}) may only read")
    return CHANGES[command.verb](caller, command)
