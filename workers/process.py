"""RQ worker for one role: the flow runner, the control plane, or a hypervisor node.

`python -m workers.process --role hv --node hv1` serves queue hv.hv1: it makes the
node's storage root and default network, registers the node's capacity through the control
queue (nodes hold no database credentials), then heartbeats the same way, and queues
a cleanup of its image cache every HOSTFLOW_IMAGE_CACHE_CLEAN_INTERVAL seconds.

Each role runs only its own jobs (ROLE_JOBS): a job naming any other function fails
`function_not_allowed` without being imported (infra.queue.AllowedJob)."""
from __future__ import annotations

import argparse
import importlib
import itertools
import logging
import os
import shutil
import threading
import time
import uuid
from datetime import UTC, datetime

from rq import SimpleWorker
from rq.serializers import JSONSerializer

from functions.networks import ensure_networks
from functions.recovery import recover_node
from infra.db.networks import default_network
from infra.errors import HostflowError
from infra.queue import (
    JOB_FUNCTION,
    NODE_NAME,
    OPERATION_JOB,
    job_class_allowing,
    mark_alive,
    node_job_id,
    queue,
    redis_from_url,
)
from infra.settings import Settings
from operations.bootstrap import node_context
from webhooks.notifier import DELIVER_JOB
from workers import console_relay, power_sync, sweep_scheduler

log = logging.getLogger("hostflow.worker")
HEARTBEAT_EVERY = 10
HEARTBEAT_JOB = "workers.housekeeping.hypervisor_heartbeat"
REGISTER_JOB = "workers.housekeeping.register_hypervisor"
POWER_REPORT_JOB = power_sync.REPORT_JOB
SWEEP_JOB = sweep_scheduler.SWEEP_JOB
# what each role's worker runs: every job string hostflow enqueues on that role's queues
ROLE_JOBS = {
    "flows": frozenset({OPERATION_JOB}),
    "control": frozenset({JOB_FUNCTION, SWEEP_JOB, HEARTBEAT_JOB, REGISTER_JOB, DELIVER_JOB, POWER_REPORT_JOB}),
    "hv": frozenset({JOB_FUNCTION}),
}


def queue_names(role: str, node: str) -> list[str]:
    return {"flows": ["flows"], "control": ["control"], "hv": [f"hv.{node}"]}[role]


def prepare_node(settings: Settings) -> dict:
    node = node_context(settings)
    node.make_dir(node.root / "instances")
    node.make_dir(node.root / "images")
    ensure_default_network(node, settings)
    recover(node)
    info = node.compute.node_info()
    node.compute.close()
    disk = _disk_gb(settings.storage_root)
    return {"vcpus": info["vcpus"], "ram_mb": info["ram_mb"], "disk_gb": disk}


def recover(node) -> None:
    """What a worker that died mid-step left (functions.recovery), before the first job.
    A failure is logged and the worker starts anyway: the drift report names what is left."""
    try:
        outcome = recover_node(node, {})
    except HostflowError as exc:
        log.error("start-up recovery of %s failed: %s", node.name, exc.message)
        return
    log.log(logging.WARNING if outcome.changed else logging.INFO, "start-up recovery of %s: %s (%s)", node.name,
            outcome.note, {k: v for k, v in outcome.data.items() if v})


def ensure_default_network(node, settings: Settings) -> None:
    """The default network at once, from settings; every network's record follows in an
    ensure_networks job that registration queues (nodes hold no database credentials)."""
    outcome = ensure_networks(node, {"networks": [default_network(settings)]})
    log.info("default network: changed=%s %s", outcome.changed, outcome.note)


def _disk_gb(path) -> int:
    return shutil.disk_usage(path).total >> 30


def _heartbeat(redis, settings: Settings, stop: threading.Event) -> None:
    control = queue(redis, "control")
    while not stop.wait(HEARTBEAT_EVERY):
        try:
            control.enqueue(HEARTBEAT_JOB, args=(settings.node, _now()), result_ttl=60, ttl=HEARTBEAT_EVERY * 3,
                            job_id=node_job_id(settings.node, f"heartbeat_{uuid.uuid4().hex}"))
        except Exception:  # noqa: BLE001 - a missed beat must not kill the worker
            log.exception("heartbeat failed")


def _clean_image_cache(redis, settings: Settings, stop: threading.Event) -> None:
    """Queued on the node's own queue, so it runs between the node's steps, never beside one;
    the job logs what it freed."""
    hv, every = queue(redis, f"hv.{settings.node}"), settings.image_cache_clean_interval
    while True:
        try:
            hv.enqueue(JOB_FUNCTION, args=("clean_image_cache", {"max_age_s": settings.image_cache_max_age}),
                       job_id=node_job_id(settings.node, f"clean_image_cache_{int(time.time())}"), ttl=every,
                       result_ttl=every, job_timeout=600)
        except Exception:  # noqa: BLE001 - redis may be restarting; try again next interval
            log.exception("image cache cleanup could not be queued")
        if stop.wait(every):
            return


def _housekeeping(redis, settings: Settings, stop: threading.Event) -> None:
    """Queues each of the control plane's sweeps at its own interval (workers.sweeps)."""
    from workers import sweeps  # here: the sweeps load Prefect, which only the control worker imports

    timeouts = {name: sweep.timeout_s for name, sweep in sweeps.SWEEPS.items()}
    sweep_scheduler.run_forever(redis, sweeps.intervals(settings), timeouts, stop)


def _keep_alive(redis, name: str, queues: list[str], stop: threading.Event) -> None:
    while True:
        try:
            mark_alive(redis, name, queues)
        except Exception:  # noqa: BLE001 - redis may be restarting; try again next second
            log.warning("liveness mark failed")
        if stop.wait(1):
            return


def _now() -> str:
    return datetime.now(UTC).isoformat()


PRELOAD = {"flows": ("workers.jobs", "flows.runner"), "control": ("workers.housekeeping",),
           "hv": ("workers.jobs", "functions.registry")}


def preload(role: str) -> None:
    """Imports the role's job modules once, before any job: a cold import costs ~1 s.
    A hypervisor worker never loads Prefect."""
    for module in PRELOAD[role]:
        importlib.import_module(module)


def make_worker(redis, role: str, node: str, name: str, worker_ttl: int) -> SimpleWorker:
    """The role's worker on its queues, running only the role's jobs."""
    return SimpleWorker(queue_names(role, node), connection=redis, serializer=JSONSerializer, name=name,
                        worker_ttl=worker_ttl, job_class=job_class_allowing(ROLE_JOBS[role]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["flows", "control", "hv"], required=True)
    parser.add_argument("--node", default="")
    parser.add_argument("--burst", action="store_true")
    args = parser.parse_args(argv)
    if args.role == "hv" and not NODE_NAME.fullmatch(args.node):
        parser.error(f"--node {args.node!r}: a node name is letters, digits and '-' (a host name label)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = Settings.from_env()
    if args.role == "hv":
        settings = settings.with_node(args.node)
        os.environ["HOSTFLOW_NODE"] = args.node
        os.environ["HOSTFLOW_STORAGE_ROOT"] = str(settings.storage_root)
    redis = redis_from_url(settings.redis_url)
    preload(args.role)
    stop = threading.Event()
    if args.role == "hv":
        info = prepare_node(settings)
        ratios = {"cpu": settings.cpu_allocation_ratio, "ram": settings.ram_allocation_ratio,
                  "disk": settings.disk_allocation_ratio}
        queue(redis, "control").enqueue(REGISTER_JOB, args=(settings.node, f"hv.{settings.node}", info, ratios),
                                        job_id=node_job_id(settings.node, f"register_{uuid.uuid4().hex}"),
                                        result_ttl=600)
        threading.Thread(target=_heartbeat, args=(redis, settings, stop), daemon=True).start()
        if settings.power_sync_interval > 0:
            power_sync.start(redis, settings, stop)
        console_relay.start(redis, settings, stop)
        if settings.image_cache_clean_interval > 0:
            threading.Thread(target=_clean_image_cache, args=(redis, settings, stop), daemon=True).start()
    if args.role == "control":
        threading.Thread(target=_housekeeping, args=(redis, settings, stop), daemon=True).start()
    try:
        work_until_stopped(redis, args.role, args.node, settings, args.burst, stop)
    finally:
        stop.set()


def work_until_stopped(redis, role: str, node: str, settings: Settings, burst: bool, stop: threading.Event,
                       sleep=time.sleep) -> None:
    """Runs the role's RQ worker until it is asked to stop. RQ's worker quits on a Redis
    error outside its dequeue (a restart of Redis as a job ends); then a new worker
    starts after a backoff (1 s, doubling up to 30 s), under a new name: the old one's
    registration may outlive it in Redis. A job the lost worker ran looks lost to its
    dispatcher (its liveness key goes stale), as after any worker's death."""
    queues, backoff = queue_names(role, node), 1.0
    for incarnation in itertools.count():
        name = f"{role}-{node or 'main'}-{os.getpid()}" + (f"-{incarnation}" if incarnation else "")
        alive = threading.Event()
        threading.Thread(target=_keep_alive, args=(redis, name, queues, alive), daemon=True).start()
        worker = make_worker(redis, role, node, name, settings.worker_ttl)
        started = time.monotonic()
        try:
            worker.work(burst=burst, with_scheduler=False, logging_level="INFO")
        except Exception as exc:  # noqa: BLE001 - RQ's teardown raises what Redis did; the loop goes on
            log.warning("worker %s ended on %s: %s", name, type(exc).__name__, exc)
        finally:
            alive.set()
        if burst or _asked_to_stop(worker) or stop.is_set():
            return
        backoff = 1.0 if time.monotonic() - started > 60 else min(backoff * 2, 30.0)
        log.warning("worker %s quit without being asked to; a new one starts in %.0f s", name, backoff)
        sleep(backoff)
        if _asked_to_stop(worker):  # a SIGTERM during the backoff reaches the last worker's handler
            return


def _asked_to_stop(worker) -> bool:
    """RQ records the time of a SIGTERM or SIGINT; an idle worker then just quits."""
    return worker._stop_requested or worker._shutdown_requested_date is not None


if __name__ == "__main__":
    main()
