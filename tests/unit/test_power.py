"""Power actions: which power states each fits, the node's decision for every state, the
flow's ends with faked nodes, and the record of power states a node reports."""
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from cli.calls import Call, calls
from cli.grammar import parse
from flows.runner import run_operation
from functions import power
from functions.compute import ensure_stopped
from functions.console import bounded, clean
from infra.db.hypervisors import HypervisorStore
from infra.db.models import Host, Volume
from infra.db.power_states import PowerStateStore
from infra.errors import StepFailed
from operations.power import FITS
from operations.restart_policy import backoff_s, restart_due, restarts_before
from tests.fakes import record_only

ACTIONS = ("start", "stop", "reboot", "suspend", "resume", "pause", "unpause")
STATES = ("running", "shutoff", "paused", "suspended", "crashed")
NODE = {"vcpus": 8, "ram_mb": 8192, "disk_gb": 100}


def add_host(client, power_state="running", state="active", host_id="h1", hypervisor="hv1"):
    with client.svc.operations.db.session() as s:
        s.add(Host(id=host_id, name=f"web-{host_id}", env="test", fqdn="web.test", state=state,
                   hypervisor=hypervisor, image_id="i", vcpus=1, ram_mb=256, disk_gb=1, power_state=power_state))


def call(client, path, body, key=None):
    return client.open(path, method="POST", data=json.dumps(body),
                       headers={"Authorization": f"Bearer {client.admin}", "Content-Type": "application/json",
                                "Idempotency-Key": key or str(uuid.uuid4())})


# --- what the node decides, for every state ---------------------------------------

@pytest.mark.parametrize(("step", "state", "action"), [
    (power.ON, "shutoff", "start"), (power.ON, "crashed", "start"), (power.ON, "running", "none"),
    (power.ON, "paused", "conflict"), (power.ON, "suspended", "conflict"), (power.ON, "absent", "conflict"),
    (power.OFF, "running", "stop"), (power.OFF, "paused", "stop"), (power.OFF, "shutoff", "none"),
    (power.OFF, "suspended", "conflict"),
    (power.SUSPEND, "running", "managed save"), (power.SUSPEND, "suspended", "none"),
    (power.SUSPEND, "shutoff", "conflict"),
    (power.RESUME, "suspended", "restore"), (power.RESUME, "running", "none"), (power.RESUME, "shutoff", "conflict"),
    (power.PAUSE, "running", "pause"), (power.PAUSE, "paused", "none"), (power.PAUSE, "shutoff", "conflict"),
    (power.UNPAUSE, "paused", "unpause"), (power.UNPAUSE, "running", "none"), (power.UNPAUSE, "suspended", "conflict"),
])
def test_each_power_step_acts_only_from_the_states_it_fits_and_is_done_at_its_end(step, state, action):
    assert step.decide(state).action == action


class Compute:
    """A domain's power state, moved by the calls a power step makes."""

    def __init__(self, state: str, shuts_down: bool = True):
        self.state, self.shuts_down, self.calls = state, shuts_down, []

    def power_state(self, _name):
        return self.state

    def shutdown(self, _name):
        self.calls.append("shutdown")
        if self.shuts_down:
            self.state = "shutoff"

    def destroy(self, _name):
        self.calls.append("destroy")
        self.state = "shutoff"


class FakeNode:
    shutdown_timeout = 0.2

    def __init__(self, compute):
        self.compute = compute


def test_a_stop_is_a_clean_shutdown_when_the_guest_obeys():
    compute = Compute("running")
    outcome = power.power_off(FakeNode(compute), {"host_id": "h1"})
    assert (outcome.changed, outcome.after, outcome.note, compute.calls) == (True, "shutoff", "shut down",
                                                                             ["shutdown"])


def test_a_stop_forces_the_domain_off_after_the_timeout():
    compute = Compute("running", shuts_down=False)
    outcome = power.power_off(FakeNode(compute), {"host_id": "h1", "timeout": 0.2})
    assert outcome.note == "forced off after the shutdown timeout" and compute.calls == ["shutdown", "destroy"]


def test_a_forced_stop_does_not_ask_the_guest():
    compute = Compute("running")
    assert power.power_off(FakeNode(compute), {"host_id": "h1", "force": True}).note == "forced off"
    assert compute.calls == ["destroy"]


def test_a_stop_of_a_stopped_domain_changes_nothing():
    compute = Compute("shutoff")
    outcome = power.power_off(FakeNode(compute), {"host_id": "h1"})
    assert not outcome.changed and compute.calls == []


def test_resume_of_a_domain_with_no_saved_memory_is_refused():
    with pytest.raises(Exception) as raised:
        power.resume(FakeNode(Compute("shutoff")), {"host_id": "h1"})
    assert raised.value.code == "wrong_power_state"


# --- the API ----------------------------------------------------------------------

MISFITS = [(a, s) for a in ACTIONS for s in STATES if s not in FITS[a]]


@pytest.mark.parametrize(("action", "state"), MISFITS)
def test_an_action_that_does_not_fit_the_recorded_power_state_is_409_and_changes_nothing(api, action, state):
    add_host(api, power_state=state)
    resp = call(api, "/v1/hosts/h1/actions", {"action": action})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "wrong_power_state"
    assert resp.json["error"]["details"]["power_state"] == state
    assert api.svc.hosts.get("h1")["state"] == "active" and api.svc.operations.list()[1] == 0


def test_a_hard_reboot_fits_a_paused_host_a_soft_one_does_not(api):
    record_only(api.svc)
    add_host(api, power_state="paused")
    assert call(api, "/v1/hosts/h1/actions", {"action": "reboot"}).status_code == 409
    assert call(api, "/v1/hosts/h1/actions", {"action": "reboot", "type": "hard"}).status_code == 202


@pytest.mark.parametrize("state", ["resizing", "verify_resize", "building", "rebuilding", "stopping"])
def test_an_action_on_a_host_busy_with_another_operation_is_409(api, state):
    add_host(api, state=state)
    resp = call(api, "/v1/hosts/h1/actions", {"action": "stop"})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "host_busy"
    assert api.svc.hosts.get("h1")["state"] == state


@pytest.mark.parametrize("body", [{"action": "explode"}, {}, {"action": "stop", "extra": 1},
                                  {"action": "start", "force": True}, {"action": "reboot", "type": "gentle"}])
def test_a_malformed_action_is_422(api, body):
    add_host(api)
    resp = call(api, "/v1/hosts/h1/actions", body)
    assert resp.status_code == 422 and api.svc.operations.list()[1] == 0


def test_an_accepted_action_takes_the_host_and_a_replay_returns_the_same_operation(api):
    record_only(api.svc)
    add_host(api)
    first = call(api, "/v1/hosts/h1/actions", {"action": "stop"}, key="k1")
    again = call(api, "/v1/hosts/h1/actions", {"action": "stop"}, key="k1")
    assert first.status_code == again.status_code == 202
    assert first.json["operation"]["id"] == again.json["operation"]["id"]
    assert api.svc.hosts.get("h1")["state"] == "stopping"
    other = call(api, "/v1/hosts/h1/actions", {"action": "stop", "force": True}, key="k1")
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"


def test_a_suspended_host_cannot_be_resized_or_rebuilt(api):
    add_host(api, power_state="suspended")
    resize = call(api, "/v1/hosts/h1/resize", {"flavor": {"vcpus": 2, "ram_mb": 256, "disk_gb": 1}})
    rebuild = call(api, "/v1/hosts/h1/rebuild", {"image": "img"})
    assert resize.json["error"]["code"] == rebuild.json["error"]["code"] == "wrong_power_state"


# --- the flow, nodes faked ---------------------------------------------------------

class Nodes:
    def __init__(self, after: dict, fail_at=None):
        self.after, self.fail_at, self.calls = after, fail_at, []

    def run(self, queue, job_id, function, request, reuse=True, mode="do", on_progress=None):
        self.calls.append(function)
        if function == self.fail_at:
            raise StepFailed(f"injected fault in {function}")
        data = {"guest": {"hostname": "web-h1"}} if function == "wait_guest_up" else {}
        return {"ok": True, "outcome": {"changed": True, "before": None, "after": self.after.get(function, "up"),
                                        "note": "", "data": data}}


@pytest.fixture
def queued(api):
    record_only(api.svc)
    HypervisorStore(api.svc.operations.db).register("hv1", "hv.hv1", NODE, {"cpu": 1.0, "ram": 1.0, "disk": 1.0})


def _act(api, nodes, body, power_state="running"):
    add_host(api, power_state=power_state)
    op_id = call(api, "/v1/hosts/h1/actions", body).json["operation"]["id"]
    run_operation(op_id, settings=api.svc.settings, dispatcher=nodes, prefect=False)
    return api.svc.operations.get(op_id)


def test_a_reboot_is_an_off_an_on_and_a_wait_and_records_running(api, queued):
    nodes = Nodes({"power_off": "shutoff", "power_on": "running"})
    op = _act(api, nodes, {"action": "reboot"})
    assert op["state"] == "succeeded" and nodes.calls == ["power_off", "power_on", "wait_guest_up"]
    host = api.svc.hosts.get("h1")
    assert (host["state"], host["power_state"]) == ("active", "running")
    assert api.svc.power.events("h1") == []  # running before and after: no change to keep


def test_a_stop_records_shutoff_and_the_change_as_a_power_event(api, queued):
    op = _act(api, Nodes({"power_off": "shutoff"}), {"action": "stop"})
    assert op["state"] == "succeeded" and op["result"]["power_state"] == "shutoff"
    assert api.svc.hosts.get("h1")["power_state"] == "shutoff"
    event = api.svc.power.events("h1")[0]
    assert (event["before"], event["after"], event["source"]) == ("running", "shutoff", "stop_host")


def test_a_reboot_that_fails_after_the_off_is_failed_not_rolled_back_and_gives_the_host_back(api, queued):
    nodes = Nodes({"power_off": "shutoff"}, fail_at="power_on")
    op = _act(api, nodes, {"action": "reboot"})
    assert op["state"] == "failed" and nodes.calls == ["power_off", "power_on"]
    assert api.svc.hosts.get("h1")["state"] == "active"


def test_a_failed_action_is_retried_with_its_host_taken_again(api, queued):
    op = _act(api, Nodes({}, fail_at="pause_domain"), {"action": "pause"})
    assert op["state"] == "failed"
    resp = api.post(f"/v1/operations/{op['id']}/retry", headers={"Authorization": f"Bearer {api.admin}"})
    assert resp.status_code == 202 and api.svc.hosts.get("h1")["state"] == "pausing"
    run_operation(op["id"], settings=api.svc.settings, dispatcher=Nodes({"pause_domain": "paused"}), prefect=False)
    assert api.svc.hosts.get("h1")["power_state"] == "paused"


# --- what nodes report --------------------------------------------------------------

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def report(host="h1", state="shutoff", domain=None):
    return [{"domain": domain or f"hf-{host}", "host": host, "state": state}]


def test_a_reported_change_is_recorded_once(api):
    add_host(api)
    store = PowerStateStore(api.svc.operations.db)
    assert store.observe("hv1", report(), NOW, False, "event")["changed"] == ["h1"]
    assert store.observe("hv1", report(), NOW + timedelta(seconds=1), True, "sync")["changed"] == []
    assert [(e["after"], e["source"]) for e in store.events("h1")] == [("shutoff", "event")]


def test_a_report_older_than_the_recorded_state_is_ignored(api):
    add_host(api)
    store = PowerStateStore(api.svc.operations.db)
    store.record("h1", "shutoff", "stop_host", NOW)
    store.observe("hv1", report(state="running"), NOW - timedelta(seconds=1), False, "event")
    assert api.svc.hosts.get("h1")["power_state"] == "shutoff"


def test_a_complete_report_marks_a_host_without_a_domain_missing_and_lists_domains_no_host_owns(api):
    add_host(api)
    add_host(api, host_id="h2", state="building", power_state=None)
    HypervisorStore(api.svc.operations.db).register("hv1", "hv.hv1", NODE, {"cpu": 1.0, "ram": 1.0, "disk": 1.0})
    store = PowerStateStore(api.svc.operations.db)
    found = store.observe("hv1", report(host="stray", state="running"), NOW, True, "sync")
    assert found == {"changed": ["h1"], "unowned": ["hf-stray"]}
    assert api.svc.hosts.get("h1")["power_state"] == "missing" and api.svc.hosts.get("h2")["power_state"] is None
    assert api.svc.hypervisors.all()[0]["unowned_domains"] == ["hf-stray"]


def test_a_node_reports_only_for_its_own_hosts(api):
    add_host(api, hypervisor="hv2")
    store = PowerStateStore(api.svc.operations.db)
    store.observe("hv1", report(), NOW, True, "sync")
    assert api.svc.hosts.get("h1")["power_state"] == "running"


# --- faces and console ------------------------------------------------------------------

def test_the_grammar_has_the_power_verbs():
    assert calls(parse("stop web1")) == (Call("POST", "/v1/hosts/{host.id}/actions", {"action": "stop"}),)
    assert calls(parse("stop web1 force"))[0].body == {"action": "stop", "force": True}
    assert calls(parse("reboot web1 hard"))[0].body == {"action": "reboot", "force": True}
    assert calls(parse("resume web1 env=prod"))[0].body == {"action": "resume"}


def test_the_console_tail_loses_terminal_escapes_and_stays_bounded():
    assert clean("\x1b[1;32mok\x1b[0m\r\nlogin: \x1b]0;title\x07") == "ok\nlogin: "
    text = "\n".join(f"line {i}" for i in range(100))
    assert bounded(text, 3) == "line 97\nline 98\nline 99"
    assert bounded(text, 100, max_bytes=20) == "line 98\nline 99"


# --- the restart policy ----------------------------------------------------------------

def _stopped_by(api, source: str, policy="always", host_id="h1"):
    add_host(api, host_id=host_id)
    with api.svc.operations.db.session() as s:
        s.get(Host, host_id).restart_policy = policy
    api.svc.power.record(host_id, "shutoff", source, NOW)


def test_a_host_that_asks_for_it_is_started_again_when_its_guest_stops_on_its_own(api):
    record_only(api.svc)
    _stopped_by(api, "event")
    assert restart_due(api.svc, NOW) == ["h1"]
    [op], _ = api.svc.operations.list()
    assert (op["kind"], op["source"]) == ("start_host", "restart-policy")
    assert api.svc.hosts.get("h1")["restarts"] == 1


@pytest.mark.parametrize(("source", "policy"), [("stop_host", "always"), ("suspend_host", "always"),
                                                ("event", None)])
def test_a_stop_through_hostflow_or_a_host_without_the_policy_is_only_recorded(api, source, policy):
    record_only(api.svc)
    _stopped_by(api, source, policy)
    assert restart_due(api.svc, NOW) == [] and api.svc.operations.list()[1] == 0


def test_restarts_back_off_and_count_again_after_a_quiet_spell(api):
    record_only(api.svc)
    _stopped_by(api, "event")
    with api.svc.operations.db.session() as s:
        host = s.get(Host, "h1")
        host.restart_count, host.restarted_at = 3, NOW
    assert restart_due(api.svc, NOW + timedelta(seconds=7)) == []  # the 4th waits 2**3 s
    assert restart_due(api.svc, NOW + timedelta(seconds=8)) == ["h1"]
    assert api.svc.hosts.get("h1")["restarts"] == 4
    assert [backoff_s(n) for n in (0, 1, 2, 9)] == [0, 2, 4, 300]
    later = {"restarted_at": NOW, "restart_count": 9}
    assert restarts_before(later, NOW + timedelta(minutes=11)) == 0


def test_an_allocation_may_ask_to_be_restarted_always(api):
    record_only(api.svc)
    body = {"name": "web1", "env": "test", "image": "img", "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1},
            "restart": "always"}
    resp = api.post("/v1/hosts", json=body, headers={"Authorization": f"Bearer {api.admin}",
                                                     "Idempotency-Key": "k-alloc"})
    assert resp.status_code == 202, resp.json
    assert api.svc.hosts.get(resp.json["host"]["id"])["restart"] == "always"


def test_an_action_ending_where_its_node_already_reported_takes_the_state_as_its_own(api):
    record_only(api.svc)
    add_host(api)
    with api.svc.operations.db.session() as s:
        s.get(Host, "h1").restart_policy = "always"
    store = PowerStateStore(api.svc.operations.db)
    store.observe("hv1", report(), NOW, False, "event")  # the stop's own shutdown, seen first
    store.record("h1", "shutoff", "stop_host", NOW + timedelta(seconds=1))
    store.observe("hv1", report(), NOW + timedelta(seconds=2), True, "sync")
    assert restart_due(api.svc, NOW + timedelta(seconds=3)) == []


class PausedDomain:
    """What reclaim's and rebuild's stop read and do, on a paused domain."""

    def __init__(self):
        self.now, self.calls = "paused", []

    def state(self, _name):
        return self.now

    def wait_state(self, _name, wanted, _timeout):
        return self.now

    def shutdown(self, _name):
        self.calls.append("shutdown")

    def destroy(self, _name):
        self.calls.append("destroy")
        self.now = "shutoff"


def test_reclaims_stop_destroys_a_paused_domain_at_once():
    compute = PausedDomain()
    outcome = ensure_stopped(FakeNode(compute), {"host_id": "h1"})
    assert (outcome.note, outcome.after, compute.calls) == ("destroy", "shutoff", ["destroy"])


def test_no_volume_is_attached_to_a_suspended_host(api):
    add_host(api, power_state="suspended")
    with api.svc.operations.db.session() as s:
        s.add(Volume(id="v1", name="v1", env="test", size_gb=1, state="available", hypervisor="hv1"))
    resp = call(api, "/v1/hosts/h1/volumes", {"volume_id": "v1"})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "wrong_power_state"
    assert api.svc.operations.list()[1] == 0


@pytest.mark.parametrize("power_state", ["shutoff", "suspended", None])
def test_no_console_token_for_a_host_whose_guest_is_not_running(api, power_state):
    add_host(api, power_state=power_state)
    resp = api.post("/v1/hosts/h1/console/token", headers={"Authorization": f"Bearer {api.admin}"})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "console_unavailable"


def test_a_viewer_gets_no_console_token(api):
    add_host(api)
    resp = api.post("/v1/hosts/h1/console/token", headers={"Authorization": f"Bearer {api.viewer}"})
    assert resp.status_code == 403
