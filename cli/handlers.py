"""The handlers of the older subcommands that send something (`create`, `delete`, `backup`,
`restore`, `image-create`, `image-upload`, `demo`, `name-add`, ...): each takes the client
and the parsed arguments and prints the API's answers as JSON."""
from __future__ import annotations

import json
import os
import uuid

from cli.follow import Client


def print_json(data) -> None:
    print(json.dumps(data, indent=2))


def _report(c: Client, data: dict, follow: bool) -> None:
    """Prints the answer and, if `follow`, the operation it queued once it ends."""
    print_json(data)
    if follow:
        print_json(c.follow(data["operation"]["id"]))


def _new_key() -> dict:
    """Every call that starts an operation carries a new Idempotency-Key (the API refuses one without)."""
    return {"Idempotency-Key": str(uuid.uuid4())}


def cmd_create(c: Client, a) -> None:
    body = {"name": a.name, "env": a.env, "image": a.image, "project": a.project,
            "flavor": {"vcpus": a.vcpus, "ram_mb": a.ram_mb, "disk_gb": a.disk_gb}}
    params = {"dry_run": "true"} if a.dry_run else None
    data = c.call("POST", "/v1/hosts", body, params=params,
                  headers={"Idempotency-Key": a.key or str(uuid.uuid4())})
    _report(c, data, a.wait and not a.dry_run)


def cmd_delete(c: Client, a) -> None:
    params = {"dry_run": "true"} if a.dry_run else None
    body = {"delete_volumes": True} if a.delete_volumes else None
    data = c.call("DELETE", f"/v1/hosts/{a.id}", body, params=params, headers=_new_key())
    _report(c, data, a.wait and not a.dry_run)


def cmd_backup(c: Client, a) -> None:
    body = {"incremental": a.incremental, **({"name": a.name} if a.name else {})}
    _report(c, c.call("POST", f"/v1/volumes/{a.volume_id}/backups", body, headers=_new_key()), a.wait)


def cmd_restore(c: Client, a) -> None:
    body = {"volume_id": a.volume_id} if a.volume_id else {}
    _report(c, c.call("POST", f"/v1/backups/{a.backup_id}/restore", body, headers=_new_key()), a.wait)


def cmd_image_create(c: Client, a) -> None:
    props = dict(p.split("=", 1) for p in a.property)
    body = {"name": a.name, "disk_format": a.disk_format, "container_format": a.container_format,
            "min_disk_gb": a.min_disk_gb, "min_ram_mb": a.min_ram_mb, "properties": props}
    print_json(c.call("POST", "/v1/images", body))


def cmd_image_upload(c: Client, a) -> None:
    """Streams the file: the API inspects it and the image ends active or killed."""
    with open(a.file, "rb") as fh:
        resp = c.session.put(f"{c.url}/v1/images/{a.id}/file", data=fh, timeout=3600,
                             headers={"Content-Type": "application/octet-stream"})
    if resp.status_code >= 400:
        err = resp.json().get("error", {})
        raise SystemExit(f"error {resp.status_code} {err.get('code')}: {err.get('message')}")
    print_json(resp.json())


def _prefect_ui() -> str:
    return os.environ.get("HOSTFLOW_PREFECT_UI_URL", "http://127.0.0.1:4200")


def _show_guest(op: dict) -> None:
    """Prints what the allocated guest reported, and where its flow run is."""
    guest = op["result"].get("guest") or {}
    print(f"guest is up: hostname={guest.get('hostname')} "
          f"addresses={[x['cidr'] for x in guest.get('addresses', [])]} on {op['result']['hypervisor']}")
    print(f"flow run: {_prefect_ui()}/runs/flow-run/{op['flow_run_id']}")


def cmd_demo(c: Client, a) -> int:
    """Allocate a host, show where to watch it, wait for the guest, reclaim it."""
    name = f"demo-{uuid.uuid4().hex[:6]}"
    body = {"name": name, "env": "test", "image": a.image, "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}
    print(f"allocating host {name} from image {a.image}")
    accepted = c.call("POST", "/v1/hosts", body, headers=_new_key())
    op_id, host_id = accepted["operation"]["id"], accepted["host"]["id"]
    print(f"operation: {c.url}{accepted['operation']['url']}")
    print(f"Prefect UI: {_prefect_ui()}/runs")
    op = c.follow(op_id)
    if op["state"] != "succeeded":
        print(f"allocation {op['state']}: {op['error']}")
        return 1
    _show_guest(op)
    print(f"reclaiming {name}")
    op = c.follow(c.call("DELETE", f"/v1/hosts/{host_id}", headers=_new_key())["operation"]["id"])
    print(f"reclaim {op['state']}")
    return 0 if op["state"] == "succeeded" else 1


def cmd_name_add(c: Client, a) -> None:
    body = {"fqdn": a.fqdn, "type": a.type, "force": a.force, **({"ttl": a.ttl} if a.ttl else {})}
    _report(c, c.call("POST", f"/v1/hosts/{a.id}/names", body, headers=_new_key()), a.wait)


def cmd_name_remove(c: Client, a) -> None:
    _report(c, c.call("DELETE", f"/v1/hosts/{a.id}/names/{a.fqdn}", headers=_new_key()), a.wait)


def cmd_network_create(c: Client, a) -> None:
    body = {"name": a.name, "traffic_class": a.traffic_class, "subnet": a.subnet, "gateway": a.gateway,
            "env": a.env, "reserved": a.reserved, "peers": a.peer}
    if a.vxlan is not None or a.vlan is not None:
        kind, segment_id = ("vxlan", a.vxlan) if a.vxlan is not None else ("vlan", a.vlan)
        body.update(segmentation=kind, segment_id=segment_id, underlay=a.underlay)
    if a.mtu:
        body["mtu"] = a.mtu
    print_json(c.call("POST", "/v1/networks", body))


def cmd_share_create(c: Client, a) -> None:
    body = {"name": a.name, "env": a.env, "source": a.source, "mount_point": a.mount_point,
            "read_only": a.read_only, "mode": a.mode}
    print_json(c.call("POST", "/v1/shares", body))


def cmd_share_attach(c: Client, a) -> None:
    if a.detach:
        data = c.call("DELETE", f"/v1/hosts/{a.id}/shares/{a.name}", headers=_new_key())
    else:
        data = c.call("POST", f"/v1/hosts/{a.id}/shares", {"name": a.name}, headers=_new_key())
    _report(c, data, a.wait)
