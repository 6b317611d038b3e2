"""The health report (operations.health, GET /v1/healthz, the dashboard's overview):
`ok` only when every dependency answers, every expected queue has a live worker and every
sweep succeeded within 3 of its intervals; `degraded` with one problem per thing wrong
otherwise. Probes are faked here, but for the real ones' own tests at the end."""
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from infra.db.engine import Database
from infra.health_probes import Probes, Unreachable
from operations import health
from tests.unit.test_dashboard_access import log_in

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def ago(seconds: float, now: datetime = NOW) -> str:
    return (now - timedelta(seconds=seconds)).isoformat()


def fresh(now: datetime = NOW, **fields) -> dict:
    """A sweep record as the control worker leaves it: succeeded 30 s before `now`, every 60 s."""
    return {"interval_s": 60, "scheduled_since": ago(3600, now), "last_started": ago(31, now),
            "last_success": ago(30, now), "last_outcome": "succeeded", "duration_s": "0.2", "last_result": "[]",
            **fields}


class FakeProbes:
    """Stands in for infra.health_probes.Probes: `down` names the probes that fail."""

    def __init__(self, down=(), workers=None, sweeps=None):
        self.down = set(down)
        self.live = {"control": 1, "flows": 2, "hv.hv1": 1} if workers is None else workers
        self.records = {"reports": fresh(), "approvals": fresh()} if sweeps is None else sweeps

    def _answer(self, name: str) -> None:
        if name in self.down:
            raise Unreachable(f"{name} does not answer")

    def database(self):
        self._answer("database")

    def redis_ping(self):
        self._answer("redis")

    def prefect(self):
        self._answer("prefect")

    def workers(self):
        self._answer("redis")
        return dict(self.live)

    def sweeps(self):
        self._answer("redis")
        return dict(self.records)


def nodes(*hypervisors: tuple[str, bool]):
    """Services with only the hypervisor records the report reads."""
    listed = [{"name": n, "queue": f"hv.{n}", "enabled": enabled} for n, enabled in hypervisors]
    return SimpleNamespace(hypervisors=SimpleNamespace(all=lambda: listed))


def report(probes: FakeProbes, svc=None) -> dict:
    return health.report(svc or nodes(("hv1", True)), probes, NOW)


def test_all_answering_with_fresh_sweeps_is_ok_with_no_problems():
    found = report(FakeProbes())
    assert (found["status"], found["problems"]) == ("ok", [])
    assert all(d["ok"] for d in found["dependencies"].values())
    assert found["workers"] == {"control": 1, "flows": 2, "hv.hv1": 1}
    assert found["sweeps"]["reports"]["age_s"] == 30.0 and found["sweeps"]["reports"]["interval_s"] == 60


def test_the_last_drift_report_is_counted_without_degrading_the_report():
    last = '{"findings":2,"counts":{"leaked_claim":2},"complete":true,"unread":[]}'
    found = report(FakeProbes(sweeps={"drift": fresh(interval_s=900, last_result=last)}))
    assert found["status"] == "ok"
    assert found["drift"] == {"findings": 2, "counts": {"leaked_claim": 2}, "complete": True,
                              "checked_at": ago(30)}


def test_before_the_first_drift_report_there_is_no_count():
    assert report(FakeProbes())["drift"] is None


def test_prefect_down_is_degraded_and_says_so():
    found = report(FakeProbes(down={"prefect"}))
    assert found["status"] == "degraded"
    assert found["dependencies"]["prefect"] == {"ok": False, "error": "prefect does not answer"}
    assert found["problems"] == ["prefect unreachable: prefect does not answer"]


def test_redis_down_leaves_workers_and_sweeps_unknown():
    found = report(FakeProbes(down={"redis"}))
    assert found["status"] == "degraded" and found["workers"] is None and found["sweeps"] is None
    assert found["problems"] == ["redis unreachable: redis does not answer"]


def test_the_database_down_is_a_problem_and_no_node_queue_is_expected_of_it():
    def unreadable():
        raise OSError("database down")

    svc = SimpleNamespace(hypervisors=SimpleNamespace(all=unreadable))
    found = report(FakeProbes(down={"database"}, workers={"control": 1, "flows": 1}), svc)
    assert found["problems"] == ["database unreachable: database does not answer"]


def test_an_enabled_nodes_queue_without_a_live_worker_is_a_problem_a_disabled_ones_is_not():
    found = report(FakeProbes(workers={"control": 1, "flows": 1}), nodes(("hv1", True), ("hv2", False)))
    assert found["problems"] == ["no live worker serves queue hv.hv1"]
    assert found["workers"]["hv.hv1"] == 0 and "hv.hv2" not in found["workers"]


def test_no_control_worker_is_a_problem():
    found = report(FakeProbes(workers={"flows": 1, "hv.hv1": 1}))
    assert found["problems"] == ["no live worker serves queue control"]


def test_no_published_sweeps_is_a_problem():
    found = report(FakeProbes(sweeps={}))
    assert found["problems"] == ["no sweep is scheduled: the control worker has not published its sweeps"]


def test_a_sweep_whose_last_run_failed_is_a_problem_with_its_error():
    failed = fresh(last_outcome="failed", last_error="ConnectionError: swift down", last_error_at=ago(5))
    found = report(FakeProbes(sweeps={"upload_reaper": failed, "reports": fresh()}))
    assert found["status"] == "degraded"
    assert found["problems"] == [f"sweep upload_reaper failed at {ago(5)}: ConnectionError: swift down"]
    assert found["sweeps"]["upload_reaper"]["last_error"] == "ConnectionError: swift down"


@pytest.mark.parametrize("age, stale", [(180, False), (181, True)])
def test_a_sweep_is_stale_once_its_last_success_is_older_than_3_intervals(age, stale):
    found = report(FakeProbes(sweeps={"reports": fresh(last_success=ago(age))}))
    assert found["problems"] == (["sweep reports last succeeded 181 s ago (every 60 s)"] if stale else [])


@pytest.mark.parametrize("scheduled, stale", [(170, False), (200, True)])
def test_a_sweep_that_never_succeeded_is_a_problem_3_intervals_after_it_was_scheduled(scheduled, stale):
    never = {"interval_s": 60, "scheduled_since": ago(scheduled)}
    found = report(FakeProbes(sweeps={"reports": never}))
    assert bool(found["problems"]) is stale
    assert found["sweeps"]["reports"]["last_success"] is None and found["sweeps"]["reports"]["age_s"] is None


# --- GET /v1/healthz and the dashboard ---------------------------------------------------

@pytest.fixture
def probed(api, monkeypatch):
    """The API with fake probes; `api.probes` is what it probes."""
    now = datetime.now(UTC)
    api.probes = FakeProbes(workers={"control": 1, "flows": 1}, sweeps={"reports": fresh(now), "approvals": fresh(now)})
    monkeypatch.setattr(health, "probes", lambda _settings: api.probes)
    return api


def test_the_report_needs_a_token(probed):
    resp = probed.get("/v1/healthz")
    assert resp.status_code == 401 and resp.json["error"]["code"] == "missing_token"


def test_any_role_reads_the_report(probed):
    resp = probed.get("/v1/healthz", headers={"Authorization": f"Bearer {probed.viewer}"})
    assert resp.status_code == 200
    assert resp.json["status"] == "ok" and set(resp.json["sweeps"]) == {"reports", "approvals"}


def test_a_degraded_report_still_answers_200(probed):
    probed.probes.down = {"prefect"}
    resp = probed.get("/v1/healthz", headers={"Authorization": f"Bearer {probed.admin}"})
    assert resp.status_code == 200 and resp.json["status"] == "degraded"


def test_the_liveness_probe_needs_no_token_and_probes_nothing(probed):
    probed.probes.down = {"database", "redis", "prefect"}
    assert probed.get("/healthz").json == {"status": "ok"}


def test_the_openapi_document_lists_the_report(probed):
    paths = probed.get("/v1/openapi.json").json["paths"]
    assert paths["/v1/healthz"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"][
        "status"]["enum"] == ["ok", "degraded"]


def test_the_dashboard_overview_shows_the_status_and_each_problem(probed):
    probed.probes.down = {"prefect"}
    log_in(probed, probed.viewer)
    page = probed.get("/ui/").get_data(as_text=True)
    assert '<span class="state state-degraded">degraded</span>' in page
    assert "<li>prefect unreachable: prefect does not answer</li>" in page


# --- the real probes, on what this machine has for them ------------------------------------

class Answering:
    """A loopback server answering every GET with `status`."""

    def __init__(self, status: int):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(status)
                self.send_header("Content-Length", "4")
                self.end_headers()
                self.wfile.write(b"true")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def probes(db, prefect_url: str = "http://127.0.0.1:1/api") -> Probes:
    return Probes(db, "redis://127.0.0.1:1/0", prefect_url, timeout_s=1)


def test_the_prefect_probe_passes_on_a_200_from_health(db):
    with Answering(200) as prefect:
        probes(db, prefect.url).prefect()


def test_the_prefect_probe_fails_on_another_answer(db):
    with Answering(503) as prefect, pytest.raises(Unreachable, match="/api/health answered 503"):
        probes(db, prefect.url).prefect()


def test_the_prefect_probe_fails_when_nothing_listens(db):
    with pytest.raises(Unreachable, match="127.0.0.1:1/api/health"):
        probes(db).prefect()


def test_the_database_probe_passes_on_a_database_and_fails_without_one(db, tmp_path):
    probes(db).database()
    with pytest.raises(Unreachable):
        probes(Database(f"sqlite:///{tmp_path}/no/such/dir/x.db")).database()


def test_the_redis_probe_fails_when_nothing_listens(db):
    with pytest.raises(Unreachable):
        probes(db).redis_ping()
