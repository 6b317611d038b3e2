"""What RQ workers execute. Known errors come back as data so the flow can
journal their code; anything else fails the job and is reported as internal."""
from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from rq import get_current_job

from functions.registry import FUNCTIONS
from infra.errors import HostflowError
from infra.queue import JOB_FUNCTION
from infra.settings import Settings
from operations import bootstrap

log = logging.getLogger("hostflow.jobs")


def run_function(name: str, request: dict, mode: str = "do") -> dict:
    if mode == "plans":
        return _plans(request["steps"])
    entry = FUNCTIONS[name]
    settings = Settings.from_env()
    if entry.context == "node":
        ctx = bootstrap.node_context(settings, progress=progress_into(get_current_job()))
    else:
        ctx = bootstrap.control_context(settings)
    try:
        if mode == "plan":
            return {"ok": True, "plan": entry.plan(ctx, request).to_dict()}
        outcome = entry.run(ctx, request)
        log.info("%s: changed=%s %s", name, outcome.changed, outcome.note)
        return {"ok": True, "outcome": outcome.to_dict()}
    except HostflowError as exc:
        log.warning("%s failed: %s: %s", name, exc.code, exc.message)
        return {"ok": False, "error": exc.to_dict()}
    finally:
        if entry.context == "node":
            ctx.compute.close()


def _plans(steps: list[dict]) -> dict:
    """A dry run's plans of several node functions, in one job and one node context: a
    round trip through the queue costs more than most plans."""
    ctx = bootstrap.node_context(Settings.from_env())
    try:
        plans = [FUNCTIONS[s["function"]].plan(ctx, s["request"]).to_dict() for s in steps]
    except HostflowError as exc:
        return {"ok": False, "error": exc.to_dict()}
    finally:
        ctx.compute.close()
    return {"ok": True, "plans": plans}


def progress_into(job):
    """A reporter writing into the job's meta, where the dispatcher waiting on it reads
    it. The job is captured here: functions report from their own threads."""

    def report(done: int, total: int) -> None:
        if job is not None:
            job.meta["progress"] = {"done_bytes": done, "total_bytes": total}
            job.save_meta()

    return report


def housekeeping() -> dict:
    """The control plane's periodic sweeps."""
    from operations.approvals import reconcile
    from operations.image_upload import reap_interrupted
    from operations.resize import auto_confirm
    from workers.reaper import reap_lost_runs

    settings = Settings.from_env()
    svc = bootstrap.api_services(settings)
    confirmed = auto_confirm(svc, settings.resize_auto_confirm_s) if settings.resize_auto_confirm_s > 0 else []
    reaped = reap_interrupted(svc, settings.upload_stale_s)
    reports = _deliver_due_reports(settings)
    approvals = reconcile(svc)
    lost = reap_lost_runs(settings, svc.redis)
    for label, ids in (("lost its flow runner, ended failed:", lost), ("auto-confirmed the resize of", confirmed),
                       ("killed interrupted uploads of", reaped), ("approval timed out for", approvals["expired"]),
                       ("cancelled in the Prefect UI while awaiting approval:", approvals["cancelled"])):
        if ids:
            log.info("%s %s", label, ", ".join(ids))
    return {"ok": True, "confirmed": confirmed, "reaped": reaped, "reports": reports, "approvals": approvals,
            "lost": lost}


def _deliver_due_reports(settings: Settings) -> dict[str, str]:
    from infra.db.notifications import NotificationStore
    from infra.http_report import send
    from webhooks.notifier import deliver_due

    return deliver_due(NotificationStore(bootstrap.database(settings.database_url)), settings, send)


def deliver_notification(notification_id: str) -> dict:
    """One attempt at a report-back; a failure is tried again by the housekeeping sweep."""
    from infra.db.notifications import NotificationStore
    from infra.http_report import send
    from webhooks.notifier import deliver

    settings = Settings.from_env()
    store = NotificationStore(bootstrap.database(settings.database_url))
    return {"ok": True, "state": deliver(store, notification_id, settings, send)}


def register_hypervisor(name: str, queue: str, node_info: dict, ratios: dict) -> dict:
    from infra.db.hypervisors import HypervisorStore

    settings = Settings.from_env()
    HypervisorStore(bootstrap.database(settings.database_url)).register(name, queue, node_info, ratios)
    converge_node_networks(settings, name, queue)
    return {"ok": True}


def converge_node_networks(settings: Settings, name: str, queue_name: str) -> None:
    """Queues ensure_networks with every network record (and prune) on the node's queue."""
    from infra.db.networks import DEFAULT, NetworkStore, default_network
    from infra.queue import queue, redis_from_url

    networks = NetworkStore(bootstrap.database(settings.database_url)).list()
    if DEFAULT not in {n["name"] for n in networks}:
        networks.append({**default_network(settings), "uplink": None})
    request = {"networks": [{k: v for k, v in n.items() if k != "created_at"} for n in networks], "prune": True}
    queue(redis_from_url(settings.redis_url), queue_name).enqueue(
        JOB_FUNCTION, args=("ensure_networks", request), job_id=f"ensure_networks_{name}_{int(time.time())}",
        result_ttl=600, job_timeout=120)


def hypervisor_heartbeat(name: str, at: str) -> dict:
    from infra.db.hypervisors import HypervisorStore

    settings = Settings.from_env()
    HypervisorStore(bootstrap.database(settings.database_url)).beat(name, datetime.fromisoformat(at))
    return {"ok": True}


def run_operation(operation_id: str) -> dict:
    from flows.runner import run_operation as run

    return run(operation_id)


def utcnow_iso() -> str:
    return datetime.now(UTC).isoformat()
