"""The approval policy: which requests wait for a person's yes (settings say), and
holding a freshly queued one for it. The answers are operations.approvals'."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from infra import prefect_runs
from operations.services import Services

log = logging.getLogger("hostflow.approvals")


def csv_set(value: str) -> set[str]:
    return {v.strip() for v in value.split(",") if v.strip()}


def reason(svc: Services, op: dict) -> str | None:
    """Why the policy wants this request approved, or None."""
    s, params = svc.settings, op["params"]
    if op["kind"] == "allocate_host":
        if params.get("env") in csv_set(s.approval_envs):
            return f"allocations in environment {params['env']} need approval"
        return _too_many_vcpus(s, params["flavor"]["vcpus"])
    if op["kind"] == "resize_host":
        return _too_many_vcpus(s, params["flavor"]["vcpus"])
    if op["kind"] == "reclaim_host" and s.approval_reclaim_age_days > 0:
        created = datetime.fromisoformat(svc.hosts.get(op["host_id"])["created"])
        age_days = (datetime.now(UTC) - created).total_seconds() / 86400
        if age_days > s.approval_reclaim_age_days:
            return f"the host is {age_days:.0f} days old; reclaiming hosts older than " \
                   f"{s.approval_reclaim_age_days:g} days needs approval"
    return None


def _too_many_vcpus(settings, vcpus: int) -> str | None:
    if settings.approval_max_vcpus and vcpus > settings.approval_max_vcpus:
        return f"more than {settings.approval_max_vcpus} vCPUs ({vcpus}) needs approval"
    return None


def hold(svc: Services, op: dict, run_id: str | None = None) -> bool:
    """Holds a freshly queued operation for approval when the policy asks for it. The run
    that waits for the answer is `run_id` (a deployment run starting the operation itself)
    or a new run of the generic deployment; without Prefect the API's approve still works."""
    why = reason(svc, op)
    if why is None:
        return False
    deadline = datetime.now(UTC) + timedelta(seconds=svc.settings.approval_timeout_s)
    if not svc.operations.transition(op["id"], {"queued"}, "awaiting_approval", approval_reason=why,
                                     approval_deadline=deadline):
        return False
    op["state"] = "awaiting_approval"  # the caller answers with it
    if run_id is None:
        try:
            run_id = prefect_runs.start_follower(svc.settings, op["id"])
        except prefect_runs.PrefectUnavailable as exc:
            log.warning("operation %s awaits approval without a Prefect run: %s", op["id"], exc)
    if run_id:
        svc.operations.set_fields(op["id"], deployment_run_id=run_id)
    return True
