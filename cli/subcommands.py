"""The resource subcommands (`hostflow create`, `delete`, `backup`, `hosts`, ...) run: parsed by
cli.parser, then either one GET printed as JSON or a handler of cli.handlers."""
from __future__ import annotations

import argparse
from collections.abc import Callable

from cli import handlers
from cli.follow import Client
from cli.parser import parser

HANDLERS = {"create": handlers.cmd_create, "delete": handlers.cmd_delete, "backup": handlers.cmd_backup,
            "restore": handlers.cmd_restore, "image-create": handlers.cmd_image_create,
            "image-upload": handlers.cmd_image_upload, "name-add": handlers.cmd_name_add,
            "name-remove": handlers.cmd_name_remove, "network-create": handlers.cmd_network_create,
            "share-create": handlers.cmd_share_create, "share-attach": handlers.cmd_share_attach}


def _reads(c: Client, a) -> dict[str, Callable[[], dict]]:
    """The subcommands that only read: each one's GET."""
    return {
        "host": lambda: c.call("GET", f"/v1/hosts/{a.id}"),
        "op": lambda: c.call("GET", f"/v1/operations/{a.id}"),
        "retry": lambda: c.call("POST", f"/v1/operations/{a.id}/retry"),
        "hypervisors": lambda: c.call("GET", "/v1/hypervisors"), "images": lambda: c.call("GET", "/v1/images"),
        "volumes": lambda: c.call("GET", "/v1/volumes"),
        "networks": lambda: c.call("GET", "/v1/networks"),
        "backups": lambda: c.call("GET", "/v1/backups", params={"volume_id": a.volume_id} if a.volume_id else None),
        "names": lambda: c.call("GET", "/v1/dns/records", params={"host_id": a.host} if a.host else None),
        "shares": lambda: c.call("GET", "/v1/shares", params={"env": a.env} if a.env else None),
    }


def run_subcommand(connect: Callable[[], Client], argv: list[str]) -> int:
    a = parser().parse_args(argv)
    c = connect()
    simple = _reads(c, a)
    if a.cmd in simple:
        handlers.print_json(simple[a.cmd]())
        return 0
    if a.cmd == "demo":
        return handlers.cmd_demo(c, a)
    HANDLERS[a.cmd](c, a)
    return 0


def subcommand_names() -> set[str]:
    action = next(x for x in parser()._actions if isinstance(x, argparse._SubParsersAction))
    return set(action.choices)
