"""What a worker runs: only its role's entry points (infra.queue.AllowedJob), and within
run_function only the registry's functions, each on its own kind of queue. Real RQ job
objects; nothing here reaches Redis (the connection is never used)."""
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from redis import Redis
from rq.job import Callback
from rq.serializers import JSONSerializer
from rq.utils import import_attribute

from functions.registry import FUNCTIONS
from infra.queue import JOB_FUNCTION, OPERATION_JOB, FunctionNotAllowed, job_class_allowing
from webhooks.notifier import DELIVER_JOB
from workers import jobs
from workers.process import HEARTBEAT_JOB, POWER_REPORT_JOB, REGISTER_JOB, ROLE_JOBS, SWEEP_JOB

REPO = Path(__file__).resolve().parents[2]
NOWHERE = Redis.from_url("redis://127.0.0.1:1/0")  # never connected: creating a job does not reach Redis
CALLED = []


def recorder(*args):
    """A function a hostile job names: it must never run."""
    CALLED.append(args)


def job(role: str, func: str, *args, **options):
    return job_class_allowing(ROLE_JOBS[role]).create(func, args=args, connection=NOWHERE,
                                                      serializer=JSONSerializer, **options)


def refused(j) -> str:
    with pytest.raises(FunctionNotAllowed) as info:
        j._execute()  # what Job.perform calls, inside the worker's failure handling
    assert info.value.code == "function_not_allowed"
    assert str(info.value).startswith("function_not_allowed: ")
    return str(info.value)


@pytest.mark.parametrize("role", ["hv", "control", "flows"])
def test_os_system_on_any_queue_is_refused_and_nothing_runs(role):
    message = refused(job(role, "os.system", "touch /tmp/hostflow-pwned"))
    assert "'os.system' is not a job this worker runs" in message


def test_a_refused_function_is_never_imported():
    assert "hostflow_no_such_module" not in sys.modules
    refused(job("hv", "hostflow_no_such_module.run"))  # an import would raise ImportError instead
    assert "hostflow_no_such_module" not in sys.modules


def test_a_refused_job_calls_nothing():
    CALLED.clear()
    refused(job("control", f"{__name__}.recorder", "x"))
    assert CALLED == []


@pytest.mark.parametrize("role, func", [("hv", OPERATION_JOB), ("hv", SWEEP_JOB), ("hv", REGISTER_JOB),
                                        ("flows", JOB_FUNCTION), ("flows", DELIVER_JOB),
                                        ("control", OPERATION_JOB)])
def test_another_roles_entry_point_is_refused(role, func):
    refused(job(role, func))


def test_callbacks_and_webhooks_are_refused_and_never_imported():
    with_callback = job("hv", JOB_FUNCTION, "ensure_running", {}, on_failure=Callback("os.system"),
                        on_success=Callback("os.system"), on_stopped=Callback("os.system"))
    assert "comes with callbacks" in refused(with_callback)
    assert with_callback.failure_callback is None and with_callback.success_callback is None
    assert with_callback.stopped_callback is None
    with_instance = job("hv", JOB_FUNCTION)
    with_instance.instance = "a string"
    assert "named on an instance" in refused(with_instance)


def test_the_roles_own_entry_points_resolve():
    assert job("hv", JOB_FUNCTION, "ensure_running", {}).func is jobs.run_function
    assert job("flows", OPERATION_JOB, "op").func is jobs.run_operation
    for func in ROLE_JOBS["control"]:
        assert job("control", func).func is import_attribute(func)


def test_each_role_runs_exactly_its_entry_points():
    assert ROLE_JOBS == {
        "hv": {JOB_FUNCTION},
        "flows": {OPERATION_JOB},
        "control": {JOB_FUNCTION, SWEEP_JOB, HEARTBEAT_JOB, REGISTER_JOB, DELIVER_JOB, POWER_REPORT_JOB},
    }
    for funcs in ROLE_JOBS.values():
        assert all(callable(import_attribute(f)) for f in funcs)


def test_every_job_string_the_code_enqueues_is_allowed_to_some_role():
    """A new job string not added to ROLE_JOBS would fail in production, not here."""
    allowed = set().union(*ROLE_JOBS.values())
    named = set()
    for package in ("api", "webhooks", "workers", "operations", "flows", "functions", "infra"):
        for path in (REPO / package).rglob("*.py"):
            named |= set(re.findall(r"[\"'](workers\.(?:jobs|housekeeping)\.\w+)[\"']", path.read_text()))
    assert named and named <= allowed, named - allowed


# --- run_function: the registry's functions only, on their own kind of queue -------------

@pytest.fixture
def no_context(monkeypatch):
    """Building a node or control context would mean the function was about to run."""
    def forbidden(*_a, **_k):
        raise AssertionError("a context was built for a refused function")
    monkeypatch.setattr(jobs.bootstrap, "node_context", forbidden)
    monkeypatch.setattr(jobs.bootstrap, "control_context", forbidden)


def on_queue(monkeypatch, origin: str | None) -> None:
    monkeypatch.setattr(jobs, "get_current_job", lambda: SimpleNamespace(origin=origin) if origin else None)


@pytest.mark.parametrize("name", ["os.system", "no_such_function", "__class__", "plans"])
@pytest.mark.parametrize("mode", ["do", "plan"])
def test_run_function_refuses_a_name_not_in_the_registry(no_context, name, mode):
    assert name not in FUNCTIONS
    result = jobs.run_function(name, {}, mode)
    assert result["ok"] is False and result["error"]["code"] == "function_not_allowed"


@pytest.mark.parametrize("origin, name", [("control", "delete_instance_files"), ("control", "ensure_running"),
                                          ("hv.hv1", "claim_capacity"), ("hv.hv1", "remove_host_records")])
def test_run_function_refuses_a_function_on_the_other_kind_of_queue(no_context, monkeypatch, origin, name):
    on_queue(monkeypatch, origin)
    result = jobs.run_function(name, {"host_id": "h"})
    assert result["error"]["code"] == "function_not_allowed"
    assert "does not run on a" in result["error"]["message"]


@pytest.mark.parametrize("origin, steps", [
    ("hv.hv1", [{"function": "ensure_running", "request": {}}, {"function": "os.system", "request": {}}]),
    ("hv.hv1", [{"function": "claim_capacity", "request": {}}]),
    ("control", [{"function": "ensure_running", "request": {}}]),
])
def test_a_batch_of_plans_refuses_any_function_but_the_nodes(no_context, monkeypatch, origin, steps):
    on_queue(monkeypatch, origin)
    result = jobs.run_function("plans", {"steps": steps}, "plans")
    assert result["error"]["code"] == "function_not_allowed"


@pytest.mark.parametrize("origin, name, context", [("hv.hv1", "ensure_running", "node_context"),
                                                   ("control", "claim_capacity", "control_context"),
                                                   (None, "ensure_running", "node_context")])
def test_a_registry_function_on_its_own_queue_runs(monkeypatch, origin, name, context):
    on_queue(monkeypatch, origin)
    built = []

    def build(*_a, **_k):
        built.append(context)
        raise RuntimeError("stop here")
    monkeypatch.setattr(jobs.bootstrap, context, build)
    with pytest.raises(RuntimeError, match="stop here"):
        jobs.run_function(name, {})
    assert built == [context]
