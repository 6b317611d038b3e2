"""The `hostflow` command (also `python -m cli.main`): the chat grammar (cli.grammar),
`ops list|show|watch`, and the older subcommands (`create`, `delete`, `backup`, ...).

URL and token: HOSTFLOW_API_URL and HOSTFLOW_TOKEN, else a config file (cli.client)."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid

from cli import client as api_client
from cli.client import ApiError
from cli.commands import full_usage, run_grammar, run_ops, run_tokens
from cli.grammar import VERBS, UsageError
from cli.runner import CommandFailed

TERMINAL = {"succeeded", "failed", "rolled_back", "cancelled", "rejected"}


class Client(api_client.Client):
    def follow(self, op_id: str, out=sys.stdout) -> dict:
        """Prints each step as it starts and ends, until the operation ends."""
        seen: dict[tuple, str] = {}
        shown = None
        while True:
            op = self.call("GET", f"/v1/operations/{op_id}")["operation"]
            progress = op.get("progress")
            if progress and progress.get("percent") != shown and op["state"] == "running":
                shown = progress["percent"]
                print(f"  {progress['step']:28} {progress['done_bytes'] >> 20} of {progress['total_bytes'] >> 20} MiB "
                      f"({shown}%)", file=out, flush=True)
            for step in op["steps"]:
                key = (step["name"], step["direction"])
                if seen.get(key) != step["state"]:
                    seen[key] = step["state"]
                    label = step["name"] if step["direction"] == "do" else f"undo {step['name']}"
                    note = f" ({step['note']})" if step.get("note") else ""
                    print(f"  {label:28} {step['node']:10} {step['state']}{note}", file=out, flush=True)
            if op["state"] in TERMINAL:
                return op
            time.sleep(0.3)


def _print(data) -> None:
    print(json.dumps(data, indent=2))


def cmd_create(c: Client, a) -> None:
    body = {"name": a.name, "env": a.env, "image": a.image, "project": a.project,
            "flavor": {"vcpus": a.vcpus, "ram_mb": a.ram_mb, "disk_gb": a.disk_gb}}
    params = {"dry_run": "true"} if a.dry_run else None
    data = c.call("POST", "/v1/hosts", body, params=params,
                  headers={"Idempotency-Key": a.key or str(uuid.uuid4())})
    _print(data)
    if a.wait and not a.dry_run:
        _print(c.follow(data["operation"]["id"]))


def cmd_delete(c: Client, a) -> None:
    params = {"dry_run": "true"} if a.dry_run else None
    body = {"delete_volumes": True} if a.delete_volumes else None
    data = c.call("DELETE", f"/v1/hosts/{a.id}", body, params=params)
    _print(data)
    if a.wait and not a.dry_run:
        _print(c.follow(data["operation"]["id"]))


def cmd_backup(c: Client, a) -> None:
    body = {"incremental": a.incremental, **({"name": a.name} if a.name else {})}
    data = c.call("POST", f"/v1/volumes/{a.volume_id}/backups", body,
                  headers={"Idempotency-Key": str(uuid.uuid4())})
    _print(data)
    if a.wait:
        _print(c.follow(data["operation"]["id"]))


def cmd_restore(c: Client, a) -> None:
    body = {"volume_id": a.volume_id} if a.volume_id else {}
    data = c.call("POST", f"/v1/backups/{a.backup_id}/restore", body, headers={"Idempotency-Key": str(uuid.uuid4())})
    _print(data)
    if a.wait:
        _print(c.follow(data["operation"]["id"]))


def cmd_image_create(c: Client, a) -> None:
    props = dict(p.split("=", 1) for p in a.property)
    body = {"name": a.name, "disk_format": a.disk_format, "container_format": a.container_format,
            "min_disk_gb": a.min_disk_gb, "min_ram_mb": a.min_ram_mb, "properties": props}
    _print(c.call("POST", "/v1/images", body))


def cmd_image_upload(c: Client, a) -> None:
    """Streams the file: the API inspects it and the image ends active or killed."""
    with open(a.file, "rb") as fh:
        resp = c.session.put(f"{c.url}/v1/images/{a.id}/file", data=fh, timeout=3600,
                             headers={"Content-Type": "application/octet-stream"})
    if resp.status_code >= 400:
        err = resp.json().get("error", {})
        raise SystemExit(f"error {resp.status_code} {err.get('code')}: {err.get('message')}")
    _print(resp.json())


def cmd_demo(c: Client, a) -> int:
    """Allocate a host, show where to watch it, wait for the guest, reclaim it."""
    name = f"demo-{uuid.uuid4().hex[:6]}"
    body = {"name": name, "env": "test", "image": a.image, "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}
    print(f"allocating host {name} from image {a.image}")
    accepted = c.call("POST", "/v1/hosts", body, headers={"Idempotency-Key": str(uuid.uuid4())})
    op_id, host_id = accepted["operation"]["id"], accepted["host"]["id"]
    print(f"operation: {c.url}{accepted['operation']['url']}")
    print(f"Prefect UI: {os.environ.get('HOSTFLOW_PREFECT_UI_URL', 'http://127.0.0.1:4200')}/runs")
    op = c.follow(op_id)
    if op["state"] != "succeeded":
        print(f"allocation {op['state']}: {op['error']}")
        return 1
    guest = op["result"].get("guest") or {}
    print(f"guest is up: hostname={guest.get('hostname')} "
          f"addresses={[x['cidr'] for x in guest.get('addresses', [])]} on {op['result']['hypervisor']}")
    print(f"flow run: {os.environ.get('HOSTFLOW_PREFECT_UI_URL', 'http://127.0.0.1:4200')}"
          f"/runs/flow-run/{op['flow_run_id']}")
    print(f"reclaiming {name}")
    reclaim = c.call("DELETE", f"/v1/hosts/{host_id}")
    op = c.follow(reclaim["operation"]["id"])
    print(f"reclaim {op['state']}")
    return 0 if op["state"] == "succeeded" else 1


def cmd_name_add(c: Client, a) -> None:
    body = {"fqdn": a.fqdn, "type": a.type, "force": a.force, **({"ttl": a.ttl} if a.ttl else {})}
    data = c.call("POST", f"/v1/hosts/{a.id}/names", body, headers={"Idempotency-Key": str(uuid.uuid4())})
    _print(data)
    if a.wait:
        _print(c.follow(data["operation"]["id"]))


def cmd_name_remove(c: Client, a) -> None:
    data = c.call("DELETE", f"/v1/hosts/{a.id}/names/{a.fqdn}")
    _print(data)
    if a.wait:
        _print(c.follow(data["operation"]["id"]))


def cmd_network_create(c: Client, a) -> None:
    body = {"name": a.name, "traffic_class": a.traffic_class, "subnet": a.subnet, "gateway": a.gateway,
            "env": a.env, "reserved": a.reserved, "peers": a.peer}
    if a.vxlan is not None or a.vlan is not None:
        kind, segment_id = ("vxlan", a.vxlan) if a.vxlan is not None else ("vlan", a.vlan)
        body.update(segmentation=kind, segment_id=segment_id, underlay=a.underlay)
    if a.mtu:
        body["mtu"] = a.mtu
    _print(c.call("POST", "/v1/networks", body))


def cmd_share_create(c: Client, a) -> None:
    body = {"name": a.name, "env": a.env, "source": a.source, "mount_point": a.mount_point,
            "read_only": a.read_only, "mode": a.mode}
    _print(c.call("POST", "/v1/shares", body))


def cmd_share_attach(c: Client, a) -> None:
    if a.detach:
        data = c.call("DELETE", f"/v1/hosts/{a.id}/shares/{a.name}")
    else:
        data = c.call("POST", f"/v1/hosts/{a.id}/shares", {"name": a.name},
                      headers={"Idempotency-Key": str(uuid.uuid4())})
    _print(data)
    if a.wait:
        _print(c.follow(data["operation"]["id"]))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hostflow", epilog="and the grammar: hostflow help")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("host", help="show a host")
    s.add_argument("id")
    s = sub.add_parser("create", help="allocate a host")
    s.add_argument("name")
    s.add_argument("--env", default="test")
    s.add_argument("--image", default="hostflow-test")
    s.add_argument("--project", default="default")
    s.add_argument("--vcpus", type=int, default=1)
    s.add_argument("--ram-mb", type=int, default=256)
    s.add_argument("--disk-gb", type=int, default=1)
    s.add_argument("--key", help="Idempotency-Key (default: a new one)")
    s.add_argument("--dry-run", action="store_true")
    s.add_argument("--wait", action="store_true")
    s = sub.add_parser("delete", help="reclaim a host")
    s.add_argument("id")
    s.add_argument("--delete-volumes", action="store_true", help="delete its volumes (default: detach them)")
    s.add_argument("--dry-run", action="store_true")
    s.add_argument("--wait", action="store_true")
    s = sub.add_parser("op", help="show an operation")
    s.add_argument("id")
    s = sub.add_parser("retry", help="retry a failed operation")
    s.add_argument("id")
    sub.add_parser("hypervisors")
    sub.add_parser("images")
    s = sub.add_parser("image-create", help="record an image (queued) to upload to")
    s.add_argument("name")
    s.add_argument("--disk-format", default="qcow2")
    s.add_argument("--container-format", default="bare")
    s.add_argument("--min-disk-gb", type=int, default=0)
    s.add_argument("--min-ram-mb", type=int, default=0)
    s.add_argument("--property", action="append", default=[], metavar="KEY=VALUE")
    s = sub.add_parser("image-upload", help="stream a file into a queued image")
    s.add_argument("id")
    s.add_argument("file")
    sub.add_parser("volumes")
    s = sub.add_parser("backups", help="list backups")
    s.add_argument("--volume-id")
    s = sub.add_parser("backup", help="back a volume up to object storage")
    s.add_argument("volume_id")
    s.add_argument("--incremental", action="store_true")
    s.add_argument("--name")
    s.add_argument("--wait", action="store_true")
    s = sub.add_parser("restore", help="restore a backup onto a new volume, or onto --volume-id")
    s.add_argument("backup_id")
    s.add_argument("--volume-id")
    s.add_argument("--wait", action="store_true")
    s = sub.add_parser("demo", help="allocate a host, wait for its guest, reclaim it")
    s.add_argument("--image", default="hostflow-test")
    sub.add_parser("networks", help="list networks")
    s = sub.add_parser("network-create", help="record a network (admin); hypervisors build it")
    s.add_argument("name")
    s.add_argument("--class", dest="traffic_class", required=True, help="vm, storage, share, ...")
    s.add_argument("--subnet", required=True)
    s.add_argument("--gateway")
    s.add_argument("--env", help="only this environment (default: every one)")
    seg = s.add_mutually_exclusive_group()
    seg.add_argument("--vxlan", type=int, metavar="VNI")
    seg.add_argument("--vlan", type=int, metavar="ID")
    s.add_argument("--underlay", help="the hypervisors' interface carrying VXLAN/VLAN")
    s.add_argument("--peer", action="append", default=[], help="VXLAN: a node's underlay address (repeat)")
    s.add_argument("--reserved", action="append", default=[], help='"a-b", "a" or a CIDR (repeat)')
    s.add_argument("--mtu", type=int)
    s = sub.add_parser("names", help="list the DNS records hostflow owns")
    s.add_argument("--host", help="only this host's")
    s = sub.add_parser("name-add", help="register a business domain name for a host")
    s.add_argument("id")
    s.add_argument("fqdn")
    s.add_argument("--type", choices=["CNAME", "A"], default="CNAME")
    s.add_argument("--ttl", type=int)
    s.add_argument("--force", action="store_true", help="take over a name pointing elsewhere")
    s.add_argument("--wait", action="store_true")
    s = sub.add_parser("name-remove", help="remove a business domain name of a host")
    s.add_argument("id")
    s.add_argument("fqdn")
    s.add_argument("--wait", action="store_true")
    s = sub.add_parser("shares", help="list shares")
    s.add_argument("--env")
    s = sub.add_parser("share-create", help="record a share of an environment (admin)")
    s.add_argument("name")
    s.add_argument("--env", required=True)
    s.add_argument("--source", required=True, help="a directory on the hypervisors, under a share root")
    s.add_argument("--mount-point", required=True, help="where guests mount it, e.g. /Data/test_share")
    s.add_argument("--read-only", action="store_true")
    s.add_argument("--mode", choices=["passthrough", "nfs"], default="passthrough")
    s = sub.add_parser("share-attach", help="attach a share to a host (--detach: detach it)")
    s.add_argument("id")
    s.add_argument("name")
    s.add_argument("--detach", action="store_true")
    s.add_argument("--wait", action="store_true")
    return p


def run_legacy(argv: list[str]) -> int:
    a = parser().parse_args(argv)
    c = connect()
    simple = {
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
    if a.cmd in simple:
        _print(simple[a.cmd]())
        return 0
    if a.cmd == "demo":
        return cmd_demo(c, a)
    {"create": cmd_create, "delete": cmd_delete, "backup": cmd_backup, "restore": cmd_restore,
     "image-create": cmd_image_create, "image-upload": cmd_image_upload, "name-add": cmd_name_add,
     "name-remove": cmd_name_remove, "network-create": cmd_network_create, "share-create": cmd_share_create,
     "share-attach": cmd_share_attach}[a.cmd](c, a)
    return 0


def legacy_commands() -> set[str]:
    action = next(x for x in parser()._actions if isinstance(x, argparse._SubParsersAction))
    return set(action.choices)


def connect() -> Client:
    return Client(*api_client.credentials())


def dispatch(argv: list[str]) -> int:
    verb = argv[0] if argv else ""
    if verb in {"-h", "--help"}:
        print(full_usage() + "\n\nmore: " + " ".join(sorted(legacy_commands())) + " (hostflow <command> -h)")
        return 0
    if verb == "ops":
        return run_ops(connect, argv[1:])
    if verb == "tokens":
        return run_tokens(connect, argv[1:])
    if verb.lower() in VERBS or verb not in legacy_commands():
        return run_grammar(connect, argv)
    return run_legacy(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return dispatch(argv)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (ApiError, CommandFailed) as exc:
        print(f"hostflow: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
