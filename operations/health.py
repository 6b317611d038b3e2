"""The control plane's health: each dependency it reaches, the live workers of each
queue it sends work to, and each sweep of the control worker (workers/sweeps.py), judged
into `ok` or `degraded` with the problems that make it so.

A problem is a dependency that does not answer, an expected queue (`control`, `flows`,
each enabled hypervisor's) with no live worker, a sweep whose last run failed, or one
whose last success (or, never having succeeded, its scheduling) is older than
STALE_INTERVALS of its intervals."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from functools import lru_cache

from infra.db.engine import database
from infra.errors import HostflowError
from infra.health_probes import Probes
from operations.services import Services

STALE_INTERVALS = 3
CONTROL_QUEUES = ("control", "flows")


def probes(settings) -> Probes:
    """The real probes, one set per process."""
    return _probes(settings.database_url, settings.redis_url, settings.prefect_api_url)


@lru_cache(maxsize=4)
def _probes(database_url: str, redis_url: str, prefect_api_url: str) -> Probes:
    return Probes(database(database_url), redis_url, prefect_api_url)


def report(svc: Services, found: Probes, now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    deps = {"database": _check(found.database), "redis": _check(found.redis_ping), "prefect": _check(found.prefect)}
    problems = [f"{name} unreachable: {d['error']}" for name, d in deps.items() if not d["ok"]]
    workers = sweeps = None
    if deps["redis"]["ok"]:
        workers, sweeps = _workers_and_sweeps(svc, found, deps["database"]["ok"], now, problems)
    return {"status": "degraded" if problems else "ok", "problems": problems, "checked_at": now.isoformat(),
            "dependencies": deps, "workers": workers, "sweeps": sweeps, "drift": drift_view(sweeps)}


def _workers_and_sweeps(svc: Services, found: Probes, db_ok: bool, now: datetime, problems: list) -> tuple:
    try:
        workers, records = found.workers(), found.sweeps()
    except HostflowError as exc:
        problems.append(f"redis unreachable: {exc.message}")
        return None, None
    expected = [*CONTROL_QUEUES, *(_node_queues(svc) if db_ok else [])]
    workers = {q: workers.get(q, 0) for q in expected} | workers
    problems.extend(f"no live worker serves queue {q}" for q in expected if not workers[q])
    if not records:
        problems.append("no sweep is scheduled: the control worker has not published its sweeps")
    sweeps = {name: sweep_view(record, now) for name, record in records.items()}
    problems.extend(p for name, view in sweeps.items() if (p := sweep_problem(name, view, now)))
    return workers, sweeps


def _node_queues(svc: Services) -> list[str]:
    try:
        return [h["queue"] for h in svc.hypervisors.all() if h["enabled"] and h["queue"]]
    except Exception:  # noqa: BLE001 - the database probe says why; the report must still answer
        return []


def sweep_view(record: dict, now: datetime) -> dict:
    """One sweep's record as the report shows it; `age_s`: seconds since its last success."""
    success = _when(record.get("last_success"))
    return {
        "interval_s": int(record["interval_s"]),
        "last_success": record.get("last_success"),
        "age_s": round((now - success).total_seconds(), 1) if success else None,
        "last_outcome": record.get("last_outcome"),
        "last_error": record.get("last_error"),
        "last_error_at": record.get("last_error_at"),
        "last_started": record.get("last_started"),
        "duration_s": float(record["duration_s"]) if record.get("duration_s") else None,
        "last_result": record.get("last_result"),
        "scheduled_since": record.get("scheduled_since"),
    }


def sweep_problem(name: str, view: dict, now: datetime) -> str | None:
    every, limit = view["interval_s"], STALE_INTERVALS * view["interval_s"]
    if view["last_outcome"] == "failed":
        return f"sweep {name} failed at {view['last_error_at']}: {view['last_error']}"
    if view["age_s"] is not None:
        return f"sweep {name} last succeeded {view['age_s']:.0f} s ago (every {every} s)" \
            if view["age_s"] > limit else None
    since = _when(view["scheduled_since"])
    if since and (now - since).total_seconds() > limit:
        return f"sweep {name} has not succeeded since it was scheduled at {view['scheduled_since']} (every {every} s)"
    return None


def drift_view(sweeps: dict | None) -> dict | None:
    """The findings of the `drift` sweep's last successful report (workers/sweeps.py)."""
    view = (sweeps or {}).get("drift")
    if not view or not view["last_success"] or not view["last_result"]:
        return None
    try:
        found = json.loads(view["last_result"])
    except ValueError:
        return None
    return {"findings": found.get("findings"), "counts": found.get("counts"), "complete": found.get("complete"),
            "checked_at": view["last_success"]}


def _check(probe) -> dict:
    start = time.monotonic()
    try:
        probe()
    except HostflowError as exc:
        return {"ok": False, "error": exc.message}
    return {"ok": True, "ms": round((time.monotonic() - start) * 1000, 1)}


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
