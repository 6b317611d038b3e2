"""The control plane's jobs: its periodic sweeps (workers/sweeps.py), report deliveries,
power reports, and the registration and heartbeats of hypervisor nodes (nodes hold no
database credentials: they queue these on the control queue)."""
from __future__ import annotations

import logging
import time
from datetime import datetime

from infra.db.engine import database
from infra.db.hypervisors import HypervisorStore
from infra.db.networks import DEFAULT, NetworkStore, default_network
from infra.db.notifications import NotificationStore
from infra.db.power_states import PowerStateStore
from infra.errors import Invalid
from infra.http_report import send
from infra.queue import JOB_FUNCTION, NODE_NAME, node_job_id, queue, redis_from_url
from infra.settings import Settings
from infra.sweep_records import SweepRecords
from operations import bootstrap
from operations.restart_policy import restart_due
from webhooks.notifier import deliver
from workers import sweeps

log = logging.getLogger("hostflow.housekeeping")


def run_sweep(name: str) -> dict:
    """One of the control plane's sweeps (workers.sweeps), queued by the control worker;
    its outcome is recorded in Redis. An unknown name fails the job (`unknown_sweep`)."""
    settings = Settings.from_env()
    return sweeps.run(name, settings, SweepRecords(redis_from_url(settings.redis_url)), bootstrap.api_services)


def deliver_notification(notification_id: str) -> dict:
    """One attempt at a report-back; a failure is tried again by the `reports` sweep."""
    settings = Settings.from_env()
    store = NotificationStore(database(settings.database_url))
    return {"ok": True, "state": deliver(store, notification_id, settings, send)}


def record_power_states(node: str, domains: list, observed_at: str, complete: bool, source: str) -> dict:
    """A node's power report (workers.power_sync): its hosts' states recorded where they
    changed; a complete one also marks its hosts without a domain `missing` and keeps the
    domains no live host owns on the node's record. Nothing is done to any domain."""
    if not isinstance(node, str) or not NODE_NAME.fullmatch(node) or not isinstance(domains, list):
        raise Invalid(f"not a power report from a node: {node!r}", code="invalid_report")
    settings = Settings.from_env()
    store = PowerStateStore(database(settings.database_url))
    found = store.observe(node, domains, datetime.fromisoformat(observed_at), bool(complete), source)
    for host_id in found["changed"]:
        log.info("power state of host %s changed (%s from %s)", host_id, source, node)
    if found["unowned"] and complete:
        log.warning("domains on %s that no host owns (left alone): %s", node, ", ".join(found["unowned"]))
    restarted = restart_due(bootstrap.api_services(settings)) if store.stopped_on_their_own() else []
    if restarted:
        log.info("restarted by their restart policy: %s", ", ".join(restarted))
    return {"ok": True, **found, "restarted": restarted}


def register_hypervisor(name: str, queue_name: str, node_info: dict, ratios: dict) -> dict:
    """A node registers itself on its own queue, `hv.<name>`, only: any other queue (another
    node's, `control`, `flows`) would be recorded as the node's and sent its network
    convergence job. Refused, the job fails (`registration_refused`) and nothing is
    recorded or queued."""
    refusal = _registration_refusal(name, queue_name)
    if refusal:
        log.warning("registration refused: %s", refusal)
        raise Invalid(refusal, code="registration_refused")
    settings = Settings.from_env()
    HypervisorStore(database(settings.database_url)).register(name, queue_name, node_info, ratios)
    converge_node_networks(settings, name, queue_name)
    return {"ok": True}


def _registration_refusal(name, queue_name) -> str | None:
    if not isinstance(name, str) or not NODE_NAME.fullmatch(name):
        return f"{name!r} is not a node name"
    if queue_name != f"hv.{name}":
        return f"node {name} may register only its own queue hv.{name}, not {queue_name!r}"
    return None


def converge_node_networks(settings: Settings, name: str, queue_name: str) -> None:
    """Queues ensure_networks with every network record (and prune) on the node's queue."""
    networks = NetworkStore(database(settings.database_url)).list()
    if DEFAULT not in {n["name"] for n in networks}:
        networks.append({**default_network(settings), "uplink": None})
    request = {"networks": [{k: v for k, v in n.items() if k != "created_at"} for n in networks], "prune": True}
    queue(redis_from_url(settings.redis_url), queue_name).enqueue(
        JOB_FUNCTION, args=("ensure_networks", request),
        job_id=node_job_id(name, f"ensure_networks_{int(time.time())}"), result_ttl=600, job_timeout=120)


def hypervisor_heartbeat(name: str, at: str) -> dict:
    settings = Settings.from_env()
    HypervisorStore(database(settings.database_url)).beat(name, datetime.fromisoformat(at))
    return {"ok": True}
