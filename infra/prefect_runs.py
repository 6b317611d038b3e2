"""The Prefect server's flow runs, as hostflow uses them: start a deployment run, resume
a suspended one with input, read or cancel one. Prefect's and the HTTP client's errors
become `PrefectUnavailable` here. The server is the one PREFECT_API_URL names."""
from __future__ import annotations

from uuid import UUID

import httpx
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.exceptions import PrefectException
from prefect.flow_runs import resume_flow_run
from prefect.states import Cancelled

from infra.errors import HostflowError

FOLLOWER = "hostflow-operation/hostflow"  # the generic deployment: follows one operation by id


class PrefectUnavailable(HostflowError):
    code, status = "prefect_unavailable", 503


ERRORS = (PrefectException, httpx.HTTPError, RuntimeError, ValueError)


def reachable(settings, timeout_s: float = 2.0) -> bool:
    """Whether the Prefect API answers its /health (which needs no credentials)."""
    try:
        return httpx.get(f"{settings.prefect_api_url.rstrip('/')}/health", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


def start_follower(settings, op_id: str) -> str:
    return start(settings, FOLLOWER, {"operation_id": op_id}, key=f"follow:{op_id}")


def start(_settings, deployment: str, parameters: dict, key: str) -> str:
    """A new run of `deployment` (or the run already started under `key`); its id."""
    try:
        run = run_deployment(deployment, parameters=parameters, timeout=0, idempotency_key=key,
                             as_subflow=False)
    except ERRORS as exc:
        raise PrefectUnavailable(f"could not start a run of {deployment}: {exc}") from exc
    return str(run.id)


def resume(_settings, run_id: str, run_input: dict) -> None:
    try:
        resume_flow_run(UUID(run_id), run_input=run_input)
    except ERRORS as exc:
        raise PrefectUnavailable(f"could not resume flow run {run_id}: {exc}") from exc


def state(_settings, run_id: str) -> str | None:
    """The run's state type (SCHEDULED, RUNNING, PAUSED, CANCELLED, ...), None if unknown."""
    try:
        with get_client(sync_client=True) as client:
            found = client.read_flow_run(UUID(run_id)).state
    except ERRORS as exc:
        raise PrefectUnavailable(f"could not read flow run {run_id}: {exc}") from exc
    return found.type.value if found else None


def cancel(_settings, run_id: str) -> None:
    try:
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(UUID(run_id), Cancelled(message="its operation ended"), force=True)
    except ERRORS as exc:
        raise PrefectUnavailable(f"could not cancel flow run {run_id}: {exc}") from exc
