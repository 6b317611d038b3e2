"""A command's API calls: the HTTP requests the CLI makes for each verb of the grammar.

The host (and volume) a command names is resolved first (`cli.runner`), so paths hold
`{host.id}` placeholders and bodies `Ref`s for what only that answer knows."""
from __future__ import annotations

from dataclasses import dataclass

from cli.grammar import POWER_VERBS, Command


@dataclass(frozen=True)
class Ref:
    """A value the command's runner fills in: `host.id`, `host.flavor.disk_gb`, `volume.id`."""

    path: str


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict | None = None
    await_success: bool = False  # the next call starts only once this call's operation succeeded


HOST = "/v1/hosts/{host.id}"


def _resize(args: dict) -> tuple[Call, ...]:
    if "answer" in args:
        return (Call("POST", f"{HOST}/resize/{args['answer']}"),)
    flavor = {**args["flavor"]}
    if flavor["disk_gb"] is None:
        flavor["disk_gb"] = Ref("host.flavor.disk_gb")
    return (Call("POST", f"{HOST}/resize", {"flavor": flavor}),)


def _attach(args: dict) -> tuple[Call, ...]:
    if "volume_id" in args:
        return (Call("POST", f"{HOST}/volumes", {"volume_id": args["volume_id"]}),)
    create = Call("POST", "/v1/volumes", {
        "name": args["name"], "size_gb": args["size_gb"], "env": Ref("host.env"), "project": Ref("host.project"),
        "hypervisor": Ref("host.hypervisor")}, await_success=True)
    return create, Call("POST", f"{HOST}/volumes", {"volume_id": Ref("volume.id")})


CALLS = {
    "allocate": lambda a: (Call("POST", "/v1/hosts", a),),
    "reclaim": lambda a: (Call("DELETE", HOST),),
    "resize": _resize,
    "attach": _attach,
    "detach": lambda a: (Call("DELETE", f"{HOST}/volumes/{{volume.id}}"),),
    "rebuild": lambda a: (Call("POST", f"{HOST}/rebuild", {"image": a["image"]}),),
    "snapshot": lambda a: (Call("POST", f"{HOST}/snapshot", {"name": a["name"]}),),
    "dns": lambda a: (Call("POST", f"{HOST}/names", {"fqdn": a["fqdn"], "type": "CNAME"}),),
    "status": lambda a: (Call("GET", f"/v1/operations/{a['operation']}"),),
    "hosts": lambda a: (Call("GET", "/v1/hosts"),),
    "help": lambda a: (),
}


def _power(args: dict) -> tuple[Call, ...]:
    body = {"action": args["action"], **({"force": True} if args["force"] else {})}
    return (Call("POST", f"{HOST}/actions", body),)


for _verb in POWER_VERBS:
    CALLS[_verb] = _power


def calls(command: Command) -> tuple[Call, ...]:
    return CALLS[command.verb](command.args)
