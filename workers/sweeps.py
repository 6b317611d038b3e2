"""The control plane's periodic sweeps, each its own job at its own interval, so that one
that fails (Swift down under the upload reaper, say) records its error and stops no other.

A sweep is a function of the service layer's Services that returns what it did (a
JSON-able value: the ids it touched, say). To add one, add a line to TABLE:

    Sweep("outbox", relay_due),

It runs every HOSTFLOW_SWEEP_INTERVAL_S seconds (60) unless `every` says otherwise or
HOSTFLOW_SWEEP_INTERVALS names it (`outbox=5`; 0 turns it off). The control worker queues
each as `workers.housekeeping.run_sweep(<name>)` (workers/sweep_scheduler.py); each run
is recorded in Redis (infra/sweep_records.py), where the health report reads it."""
from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from infra.db.engine import database
from infra.db.notifications import NotificationStore
from infra.errors import Invalid
from infra.http_report import send
from infra.settings import Settings
from infra.sweep_records import SweepRecords
from operations import drift, outbox
from operations.approvals import reconcile
from operations.image_upload import reap_interrupted
from operations.resize import auto_confirm
from operations.restart_policy import restart_due
from operations.services import Services
from webhooks.notifier import deliver_due
from workers.reaper import reap_lost_runs

log = logging.getLogger("hostflow.sweeps")
OUTBOX_EVERY_S = 5
DRIFT_EVERY_S = 900  # at least: the report lists every bucket and asks every node
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")  # a part of an RQ job id: letters, digits, _


def default_every(settings: Settings) -> int:
    return settings.sweep_interval_s


@dataclass(frozen=True)
class Sweep:
    name: str
    run: Callable[[Services], object]
    every: Callable[[Settings], int] = default_every  # seconds between runs; 0: off
    timeout_s: int = 600  # a run stopped past this is recorded failed


def _resize_every(settings: Settings) -> int:
    """Sooner than the default when the confirm window is shorter; off when it is 0."""
    window = settings.resize_auto_confirm_s
    return min(settings.sweep_interval_s, window) if window > 0 else 0


def _confirm_resizes(svc: Services) -> list[str]:
    return auto_confirm(svc, svc.settings.resize_auto_confirm_s)


def _reap_uploads(svc: Services) -> list[str]:
    return reap_interrupted(svc, svc.settings.upload_stale_s)


def _deliver_reports(svc: Services) -> dict[str, str]:
    return deliver_due(NotificationStore(database(svc.settings.database_url)), svc.settings, send)


def _reap_lost_runners(svc: Services) -> list[str]:
    return reap_lost_runs(svc.settings, svc.redis)


def _outbox_every(settings: Settings) -> int:
    """Often: an operation accepted while the queue was down waits for this sweep."""
    return min(settings.sweep_interval_s, OUTBOX_EVERY_S)


def _drift_every(settings: Settings) -> int:
    return max(settings.sweep_interval_s, DRIFT_EVERY_S)


def _report_drift(svc: Services) -> dict:
    """The drift report's counts (the health report shows them); repairing is an operator's call."""
    found = drift.report(svc)
    if found["findings"]:
        log.warning("drift: %s", ", ".join(f"{n} {kind}" for kind, n in sorted(found["counts"].items())))
    return {"findings": len(found["findings"]), "counts": found["counts"], "complete": found["complete"],
            "unread": [name for name, source in found["sources"].items() if not source["ok"]]}


TABLE = (
    Sweep("resize_confirm", _confirm_resizes, every=_resize_every),
    Sweep("upload_reaper", _reap_uploads),
    Sweep("reports", _deliver_reports),
    Sweep("approvals", reconcile),
    Sweep("lost_runners", _reap_lost_runners),
    Sweep("restart_policy", restart_due),
    Sweep("outbox", outbox.sweep, every=_outbox_every),
    Sweep("drift", _report_drift, every=_drift_every),
)


def by_name(table: tuple[Sweep, ...]) -> dict[str, Sweep]:
    """The table by name; a name unfit for a job id, or used twice, is refused at import."""
    found: dict[str, Sweep] = {}
    for sweep in table:
        if not NAME.fullmatch(sweep.name) or sweep.name in found:
            raise ValueError(f"sweep name {sweep.name!r} is not a new name of [a-z0-9_]")
        found[sweep.name] = sweep
    return found


SWEEPS = by_name(TABLE)


def intervals(settings: Settings) -> dict[str, int]:
    """Seconds between two runs of each sweep that is on."""
    chosen = {name: sweep.every(settings) for name, sweep in SWEEPS.items()}
    chosen.update(overrides(settings.sweep_intervals))
    return {name: every for name, every in chosen.items() if every > 0}


def overrides(text: str) -> dict[str, int]:
    """HOSTFLOW_SWEEP_INTERVALS, `name=seconds` pairs; an unknown name or a value that is
    not a number of seconds is logged and left out, so one typo does not stop every sweep."""
    found = {}
    for item in (i.strip() for i in text.split(",") if i.strip()):
        name, _, value = (part.strip() for part in item.partition("="))
        if name not in SWEEPS or not value.isdigit():
            log.error("HOSTFLOW_SWEEP_INTERVALS: %r ignored (sweeps: %s; seconds, 0 for off)", item,
                      ", ".join(SWEEPS))
            continue
        found[name] = int(value)
    return found


def run(name: str, settings: Settings, records: SweepRecords, services: Callable[[Settings], Services],
        table: dict[str, Sweep] | None = None) -> dict:
    """Runs one sweep of `table` (SWEEPS) and records its outcome; a failure is recorded,
    logged and returned, never raised. `services` builds the service layer inside the run,
    so that a database that cannot be reached is that run's recorded error. An unknown
    name is refused (`unknown_sweep`) with nothing recorded."""
    table = SWEEPS if table is None else table
    sweep = table.get(name)
    if sweep is None:
        raise Invalid(f"no sweep is named {name!r} (sweeps: {', '.join(table)})", code="unknown_sweep")
    records.started(name, _now())
    start = time.monotonic()
    try:
        result = sweep.run(services(settings))
    except Exception as exc:  # noqa: BLE001 - a sweep's failure is its record, never another sweep's
        error = f"{type(exc).__name__}: {exc}"
        records.failed(name, _now(), time.monotonic() - start, error)
        log.error("sweep %s failed: %s", name, error, exc_info=True)
        return {"ok": False, "sweep": name, "error": error}
    records.succeeded(name, _now(), time.monotonic() - start, summary(result))
    if _did_something(result):
        log.info("sweep %s: %s", name, summary(result))
    return {"ok": True, "sweep": name, "result": result}


def summary(result: object) -> str:
    return json.dumps(result, default=str, separators=(",", ":"))


def _did_something(result: object) -> bool:
    if isinstance(result, dict):
        return any(_did_something(v) for v in result.values())
    if isinstance(result, list | tuple | set):
        return bool(result)
    return result is not None


def _now() -> datetime:
    return datetime.now(UTC)
