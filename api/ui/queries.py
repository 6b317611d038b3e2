"""What the pages show, gathered from the stores and kept to what the identity may see."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from infra.db.operations import TERMINAL
from infra.errors import HostflowError, NotFound
from operations.dns import list_records
from operations.scoping import only_visible, operation_project, project_by_id, visible, visible_projects
from operations.services import Services

CONSOLE_LINES = 40
TYPED_ENVS = frozenset({"prod"})  # a stop or reboot of a host there needs its name typed in


def hypervisors(svc: Services) -> list[dict]:
    """Each node with its claimed and usable (total x allocation ratio) vCPU, RAM, disk."""
    rows = []
    for h in svc.hypervisors.all():
        cap, ratios = h["capacity"], h["capacity"]["ratios"]
        usable = {"vcpus": cap["vcpus"] * ratios["cpu"], "ram_mb": cap["ram_mb"] * ratios["ram"],
                  "disk_gb": cap["disk_gb"] * ratios["disk"]}
        rows.append({**h, "usable": {k: int(v) for k, v in usable.items()}})
    return rows


def hosts(svc: Services, identity: dict, filters: dict | None = None) -> list[dict]:
    rows = only_visible(identity, svc.hosts.list())
    filters = filters or {}
    for key in ("env", "project", "state"):
        if filters.get(key):
            rows = [r for r in rows if r[key] == filters[key]]
    if filters.get("q"):
        q = filters["q"].lower()
        rows = [r for r in rows if q in r["name"].lower() or q in (r["fqdn"] or "").lower()
                or any(q in str(a).lower() for a in _addresses(r))]
    return rows


def volumes(svc: Services, identity: dict) -> list[dict]:
    return only_visible(identity, svc.volumes.list())


def attachable_volumes(svc: Services, identity: dict, host: dict) -> list[dict]:
    """Available volumes on the host's node, in its environment."""
    return [v for v in volumes(svc, identity) if v["state"] == "available"
            and v["hypervisor"] == host["hypervisor"] and v["env"] == host["env"]]


def counts_per_env(svc: Services, identity: dict) -> list[dict]:
    host_counts = Counter(h["env"] for h in hosts(svc, identity))
    volume_counts = Counter(v["env"] for v in volumes(svc, identity))
    return [{"env": env, "hosts": host_counts[env], "volumes": volume_counts[env]}
            for env in sorted(set(host_counts) | set(volume_counts))]


def image_counts(images: list[dict]) -> dict:
    return dict(Counter(i["status"] for i in images))


def operations(svc: Services, identity: dict, limit: int = 100) -> list[dict]:
    """Running first (oldest first), then the ended ones, newest first."""
    ops, _ = svc.operations.list(limit=limit, projects=visible_projects(identity))
    running = sorted((o for o in ops if o["state"] not in TERMINAL), key=lambda o: o["created"] or "")
    return running + [o for o in ops if o["state"] in TERMINAL]


def running_operations(svc: Services, identity: dict) -> list[dict]:
    return [o for o in operations(svc, identity) if o["state"] not in TERMINAL]


def host_operations(svc: Services, host_id: str) -> list[dict]:
    return svc.operations.newest_about(host_id=host_id)


def volume_operations(svc: Services, volume_id: str) -> list[dict]:
    return svc.operations.newest_about(volume_id=volume_id)


def backup_operations(svc: Services, backup_id: str) -> list[dict]:
    return svc.operations.newest_about(backup_id=backup_id)


def host_shares(svc: Services, host_id: str) -> list[dict]:
    return svc.shares.for_host(host_id)


def attachable_shares(svc: Services, host: dict) -> list[dict]:
    """The shares of the host's environment and project it does not have yet."""
    attached = {s["name"] for s in host_shares(svc, host["id"])}
    return [s for s in svc.shares.list(host["env"], projects=[host["project"]]) if s["name"] not in attached]


def restore_targets(svc: Services, identity: dict, backup: dict) -> list[dict]:
    """Available volumes the backup fits on (restore overwrites them)."""
    return [v for v in volumes(svc, identity) if v["state"] == "available" and v["size_gb"] >= backup["size_gb"]]


def backups(svc: Services, identity: dict) -> list[dict]:
    """Newest first; an operator's only for its projects' volumes, as the API lists them."""
    rows = only_visible(identity, svc.backups.list(), project_by_id(svc.volumes, "volume_id"))
    return sorted(rows, key=lambda b: b["created"] or "", reverse=True)


def dns_records(svc: Services, identity: dict) -> list[dict]:
    return only_visible(identity, list_records(svc, None, False), project_by_id(svc.hosts, "host_id"))


def dns_record(svc: Services, identity: dict, ref: str) -> dict | None:
    """The live record with this id, else the first at this name; None when there is none
    the identity may see."""
    rows = dns_records(svc, identity)
    return next((r for r in rows if r["id"] == ref), None) or next((r for r in rows if r["fqdn"] == ref), None)


def operation_visible(svc: Services, identity: dict, op: dict) -> bool:
    try:
        return visible(identity, operation_project(svc, op))
    except NotFound:
        return False


def dns_names(svc: Services, host_id: str) -> list[dict]:
    return svc.planner.control.dns_records.list(host_id, False)


def console_tail(svc: Services, host: dict) -> str | None:
    """The guest's serial log as its node reads it; None when the host has no node or
    the node does not answer."""
    if not host.get("hypervisor"):
        return None
    try:
        return svc.planner.console(host, CONSOLE_LINES)["text"]
    except HostflowError:
        return None


def flow_run_url(settings, op: dict) -> str | None:
    if not op.get("flow_run_id"):
        return None
    base = settings.prefect_ui_url or settings.prefect_api_url.removesuffix("/api")
    return f"{base.rstrip('/')}/runs/flow-run/{op['flow_run_id']}"


def _addresses(host: dict) -> list:
    addrs = host.get("addresses") or []
    return list(addrs.values()) if isinstance(addrs, dict) else list(addrs)


def addresses(host: dict) -> list[str]:
    out = []
    for a in _addresses(host):
        out.append(a.get("address", str(a)) if isinstance(a, dict) else str(a))
    return out


def age(created: str | None, now: datetime | None = None) -> str:
    if not created:
        return ""
    delta = (now or datetime.now(UTC)) - datetime.fromisoformat(created)
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def duration(started: str | None, finished: str | None) -> str:
    if not started:
        return ""
    end = datetime.fromisoformat(finished) if finished else datetime.now(UTC)
    return f"{(end - datetime.fromisoformat(started)).total_seconds():.1f} s"
