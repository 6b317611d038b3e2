"""What every Prefect deployment shares: a run records its operation once, as a request
to the API would (source `prefect-ui`, the run's id as the idempotency key), starts it,
and follows it to its end.

A run acts within the one project its `project` parameter names, as an `operator`
token of that project would (`operations.scoping`): the project must be one of
HOSTFLOW_PREFECT_UI_PROJECTS (empty: none; `*`: every one), else the run fails at once
(403 `project_not_allowed`) having recorded nothing; an allowed run creates in that
project, and another project's host, volume or backup is as unknown to it (404) as to
such a token.

An operation that needs approval waits here: `suspend_flow_run(wait_for_input=Approval)`
ends this run's process (no worker is held) until the UI's resume form or the API
answers. Cancelling this run in the UI asks the operation to cancel."""
from __future__ import annotations

import time
from dataclasses import dataclass

from prefect import get_run_logger
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run
from prefect.states import Cancelled, Failed
from pydantic import BaseModel, Field

from infra.db.operations import TERMINAL
from infra.errors import Conflict, HostflowError, NotFound
from infra.settings import Settings
from operations.approvals import SelfApproval, cancel, decide, may_approve
from operations.bootstrap import api_services
from operations.lookup import find_host
from operations.origin import Origin
from operations.record import deferred_start
from operations.retry import start
from operations.scoping import Forbidden, check_scope, sees_for
from operations.services import Services

POLL_S = 1.0


class NotThisRunsOperation(HostflowError):
    code, status = "not_this_runs_operation", 403


class Approval(RunInput):
    approve: bool = Field(description="run the operation (true) or end it rejected (false)")
    note: str = Field(default="", max_length=1000)


class HostRef(BaseModel):
    host: str = Field(min_length=1, max_length=64, description="the host's name or id")
    env: str | None = Field(default=None, description="its environment, where the name is in several")

    def resolve(self, svc, scope: Scope) -> str:
        return scope.host_id(svc, self.host, self.env)


def ui_projects(settings: Settings) -> set[str]:
    return {p.strip() for p in settings.prefect_ui_projects.split(",") if p.strip()}


@dataclass(frozen=True)
class Scope:
    """The project a run acts in, as an `operator` token of that one project would."""

    project: str

    @classmethod
    def allowed(cls, settings: Settings, project: str) -> Scope:
        """403 `project_not_allowed` for a project HOSTFLOW_PREFECT_UI_PROJECTS does not list."""
        projects = ui_projects(settings)
        if not projects:
            raise Forbidden("runs started in the Prefect UI may act in no project: HOSTFLOW_PREFECT_UI_PROJECTS "
                            "is empty", code="project_not_allowed")
        if "*" not in projects and project not in projects:
            raise Forbidden(f"runs started in the Prefect UI may not act in project {project!r} "
                            f"(HOSTFLOW_PREFECT_UI_PROJECTS: {', '.join(sorted(projects))})",
                            code="project_not_allowed")
        return cls(project)

    @property
    def identity(self) -> dict:
        return {"name": "prefect-ui", "role": "operator", "projects": [self.project]}

    def origin(self) -> Origin:
        run = flow_run.id
        return Origin("prefect-ui", f"prefect flow run {flow_run.name} ({run})", f"prefect:{run}",
                      sees=sees_for(self.identity))

    def host_id(self, svc: Services, host: str, env: str | None = None) -> str:
        """The host named (or with id) `host` in this project; another's: 404 host_not_found."""
        return find_host(svc, host, env, sees=sees_for(self.identity))["id"]

    def checked(self, svc: Services, **ids: str | None) -> Origin:
        """The run's origin, once the volume or backup named (`volume_id=`, `backup_id=`) is
        found to be this project's: another's is the 404 an unknown id gets, as in the API."""
        check_scope(svc, self.identity, ids)
        return self.origin()


def record_and_follow(project: str, record) -> dict:
    """Refuses a project the run may not act in, then records the run's operation (once)
    with `record(svc, scope)`, starts it and follows it."""
    svc = services()
    scope = Scope.allowed(svc.settings, project)
    return follow(svc, start_recorded(svc, lambda: record(svc, scope))["id"])


def services():
    return api_services(Settings.from_env())


def _operation_of_run(svc: Services) -> dict | None:
    found = svc.operations.by_key(f"prefect:{flow_run.id}")
    if found is None and (flow_run.parameters or {}).get("operation_id"):
        found = svc.operations.get(flow_run.parameters["operation_id"])
    return found


def on_cancel(_flow, run, _state) -> None:
    """The Prefect UI's cancel, for this run's operation (a run hostflow started for it)."""
    svc = services()
    op = svc.operations.by_key(f"prefect:{run.id}")
    op_id = op["id"] if op else (run.parameters or {}).get("operation_id")
    if op_id and (op or _followed_by(svc, op_id, str(run.id))):
        try:
            cancel(svc, op_id, "prefect-ui")
        except (Conflict, NotFound):
            pass


def _followed_by(svc: Services, op_id: str, run_id: str) -> bool:
    try:
        return svc.operations.get(op_id).get("deployment_run_id") == run_id
    except NotFound:
        return False


def started_for(svc: Services, op_id: str, wait_s: float = 10.0) -> None:
    """The API records the follower's run id right after starting it: a run started by
    hand in the Prefect UI for some operation id is not that run, and touches nothing."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            recorded = svc.operations.get(op_id).get("deployment_run_id")
        except NotFound:
            recorded = None
        if recorded == str(flow_run.id):
            return
        if recorded is not None or time.monotonic() >= deadline:
            raise NotThisRunsOperation(f"flow run {flow_run.id} was not started by hostflow to follow operation "
                                       f"{op_id}; it does nothing")
        time.sleep(POLL_S)


def record_answer(svc: Services, op_id: str, answer: Approval, log) -> None:
    """Prefect's server has one shared login, so its resume form speaks for whoever
    HOSTFLOW_PREFECT_UI_IDENTITY names, and only when that name is a listed approver;
    otherwise the answer is not recorded and the operation keeps waiting."""
    who = svc.settings.prefect_ui_identity
    if not who or not may_approve(svc, "", who):
        log.warning("answer to operation %s from the Prefect UI not recorded: HOSTFLOW_PREFECT_UI_IDENTITY (%r) "
                    "is not an approver; it still awaits approval", op_id, who)
        return
    try:
        decide(svc, op_id, "approved" if answer.approve else "rejected", who, answer.note, resume=False)
    except (Conflict, SelfApproval) as exc:
        log.info("answer to operation %s not recorded: %s", op_id, exc.message)


def follow(svc: Services, op_id: str):
    """Gates an operation waiting for approval, then follows it to its end; the run ends
    as the operation does (Completed with its result, Cancelled, or Failed)."""
    log = get_run_logger()
    svc.operations.set_fields(op_id, deployment_run_id=str(flow_run.id))
    op = svc.operations.get(op_id)
    if op["state"] == "awaiting_approval":
        log.info("operation %s awaits approval: %s", op_id, op["approval"]["reason"])
        answer = suspend_flow_run(wait_for_input=Approval, key="approval",
                                  timeout=svc.settings.approval_timeout_s)
        record_answer(svc, op_id, answer, log)
    return _watch(svc, op_id, log)


def _watch(svc: Services, op_id: str, log):
    seen: dict[tuple, str] = {}
    while True:
        op = svc.operations.get(op_id)
        for step in op["steps"]:
            key = (step["name"], step["direction"])
            if seen.get(key) != step["state"]:
                seen[key] = step["state"]
                log.info("%s%s on %s: %s", "" if key[1] == "do" else "undo ", key[0], step["node"], step["state"])
        if op["state"] in TERMINAL:
            return _ending(op)
        time.sleep(POLL_S)


def _ending(op: dict):
    if op["state"] == "succeeded":
        return {"operation": op["id"], "state": "succeeded", "result": op["result"]}
    message = f"operation {op['id']} {op['state']}: {op['error']['code']}: {op['error']['message']}"
    if op["state"] in {"cancelled", "rejected"}:
        return Cancelled(message=message)
    return Failed(message=message)


def start_recorded(svc: Services, record) -> dict:
    """Records the operation once (a resumed run finds it by its key) and starts it."""
    op = _operation_of_run(svc)
    if op is None:
        with deferred_start():
            op = record()
    if op["state"] == "queued" and not op["attempts"] and op.get("deployment_run_id") is None:
        start(svc, op, run_id=str(flow_run.id))
    return op


