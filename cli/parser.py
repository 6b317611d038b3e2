"""The argparse parser of the older subcommands (`hostflow create`, `delete`, `backup`, ...),
built area by area in the order `hostflow -h` lists them."""
from __future__ import annotations

import argparse


def _add_hosts(sub) -> None:
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


def _add_operations(sub) -> None:
    s = sub.add_parser("op", help="show an operation")
    s.add_argument("id")
    s = sub.add_parser("retry", help="retry a failed operation")
    s.add_argument("id")
    sub.add_parser("hypervisors")


def _add_images(sub) -> None:
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


def _add_volumes(sub) -> None:
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


def _add_demo(sub) -> None:
    s = sub.add_parser("demo", help="allocate a host, wait for its guest, reclaim it")
    s.add_argument("--image", default="hostflow-test")


def _add_networks(sub) -> None:
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


def _add_names(sub) -> None:
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


def _add_shares(sub) -> None:
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


AREAS = (_add_hosts, _add_operations, _add_images, _add_volumes, _add_demo, _add_networks, _add_names, _add_shares)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hostflow", epilog="and the grammar: hostflow help")
    sub = p.add_subparsers(dest="cmd", required=True)
    for add in AREAS:
        add(sub)
    return p
