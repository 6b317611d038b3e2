"""The control plane's sweeps (workers.sweeps): each runs as its own job at its own
interval and records its outcome; one that fails records its error and stops no other.
Records go to a recorder here; tests/integration/test_sweeps.py uses the real Redis."""
import logging
import re
from types import SimpleNamespace

import pytest

from infra.errors import Invalid
from infra.settings import Settings
from workers import sweeps
from workers.sweep_scheduler import Schedule, job_id
from workers.sweeps import Sweep, by_name, intervals

SETTINGS = Settings()
SERVICES = object()


class RecordingSweepRecords:
    """Stands in for infra.sweep_records.SweepRecords: `events` holds (what, name, detail)."""

    def __init__(self):
        self.events: list[tuple[str, str, object]] = []

    def started(self, name, at):
        self.events.append(("started", name, None))

    def succeeded(self, name, at, duration_s, summary):
        self.events.append(("succeeded", name, summary))

    def failed(self, name, at, duration_s, error):
        self.events.append(("failed", name, error))


def swift_down(_svc):
    raise ConnectionError("could not reach the object store")


TABLE = by_name((Sweep("uploads", swift_down), Sweep("reports", lambda svc: {"n1": "sent"})))


def run(name: str, records: RecordingSweepRecords, services=lambda _settings: SERVICES):
    return sweeps.run(name, SETTINGS, records, services, table=TABLE)


def test_a_sweep_that_raises_records_its_error_and_does_not_raise():
    records = RecordingSweepRecords()
    result = run("uploads", records)
    assert result == {"ok": False, "sweep": "uploads", "error": "ConnectionError: could not reach the object store"}
    assert records.events == [("started", "uploads", None),
                              ("failed", "uploads", "ConnectionError: could not reach the object store")]


def test_a_sweep_after_a_failing_one_still_runs_and_records_its_success():
    records = RecordingSweepRecords()
    run("uploads", records)
    assert run("reports", records) == {"ok": True, "sweep": "reports", "result": {"n1": "sent"}}
    assert records.events[-1] == ("succeeded", "reports", '{"n1":"sent"}')


def test_a_sweep_is_handed_the_services_built_for_its_run():
    seen = []
    table = by_name((Sweep("look", seen.append),))
    sweeps.run("look", SETTINGS, RecordingSweepRecords(), lambda _settings: SERVICES, table=table)
    assert seen == [SERVICES]


def test_services_that_cannot_be_built_are_the_runs_recorded_error():
    def database_down(_settings):
        raise OSError("database unreachable")

    records = RecordingSweepRecords()
    assert run("reports", records, services=database_down)["ok"] is False
    assert records.events[-1] == ("failed", "reports", "OSError: database unreachable")


def test_an_unknown_sweep_is_refused_and_nothing_is_recorded():
    records = RecordingSweepRecords()
    with pytest.raises(Invalid) as refused:
        run("os.system", records)
    assert refused.value.code == "unknown_sweep"
    assert records.events == []


@pytest.mark.parametrize("name", ["", "Reports", "no-dash", "a b", "x" * 41, "1st"])
def test_a_name_unfit_for_a_job_id_is_refused_when_the_table_is_built(name):
    with pytest.raises(ValueError):
        by_name((Sweep(name, swift_down),))


def test_a_name_used_twice_is_refused_when_the_table_is_built():
    with pytest.raises(ValueError):
        by_name((Sweep("reports", swift_down), Sweep("reports", swift_down)))


def test_each_sweep_of_the_table_has_a_job_id_rq_accepts():
    assert list(sweeps.SWEEPS) == ["resize_confirm", "upload_reaper", "reports", "approvals", "lost_runners",
                                   "restart_policy", "outbox", "drift"]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", job_id(name)) for name in sweeps.SWEEPS)


# --- intervals -----------------------------------------------------------------------

def test_every_sweep_but_the_outbox_and_the_drift_report_runs_once_a_minute_by_default():
    chosen = intervals(Settings())
    assert chosen.pop("outbox") == 5 and chosen.pop("drift") == 900 and set(chosen.values()) == {60}


def test_the_drift_report_runs_at_most_every_15_minutes_and_follows_a_longer_default():
    assert intervals(Settings(sweep_interval_s=20))["drift"] == 900
    assert intervals(Settings(sweep_interval_s=1800))["drift"] == 1800


def test_the_resize_sweep_follows_a_confirm_window_shorter_than_its_interval():
    chosen = intervals(Settings(resize_auto_confirm_s=5))
    assert chosen["resize_confirm"] == 5 and chosen["reports"] == 60


def test_the_resize_sweep_is_off_when_resizes_are_never_confirmed_on_their_own():
    assert "resize_confirm" not in intervals(Settings(resize_auto_confirm_s=0))


def test_the_default_interval_is_a_setting():
    assert set(intervals(Settings(sweep_interval_s=20)).values()) == {20, 5, 900}


def test_the_outbox_sweep_is_never_slower_than_the_default_interval():
    assert intervals(Settings(sweep_interval_s=2))["outbox"] == 2


def test_one_sweeps_interval_is_set_by_name_and_0_turns_it_off():
    chosen = intervals(Settings(sweep_intervals="reports=30, upload_reaper=0"))
    assert chosen["reports"] == 30 and "upload_reaper" not in chosen and chosen["approvals"] == 60


@pytest.mark.parametrize("text", ["outbx=5", "reports=soon", "reports=-1", "reports"])
def test_a_bad_override_is_logged_and_ignored(caplog, text):
    with caplog.at_level(logging.ERROR, logger="hostflow.sweeps"):
        chosen = intervals(Settings(sweep_intervals=f"{text},approvals=90"))
    assert chosen["reports"] == 60 and chosen["approvals"] == 90
    assert "HOSTFLOW_SWEEP_INTERVALS" in caplog.text


# --- the schedule ----------------------------------------------------------------------

def test_every_sweep_is_due_at_the_start():
    assert Schedule({"a": 60, "b": 5}, now=100.0).due(100.0) == ["a", "b"]


def test_each_sweep_is_due_again_after_its_own_interval():
    schedule = Schedule({"a": 60, "b": 5}, now=0.0)
    schedule.due(0.0)
    assert schedule.due(4.0) == []
    assert schedule.due(5.0) == ["b"]
    assert schedule.due(60.0) == ["a", "b"]


def test_the_sweeps_pass_their_settings_to_what_they_run(monkeypatch, tmp_path):
    settings = Settings.from_env({"HOSTFLOW_STATE_DIR": str(tmp_path), "HOSTFLOW_RESIZE_AUTO_CONFIRM_S": "7",
                                  "HOSTFLOW_UPLOAD_STALE_S": "9"})
    svc, calls = SimpleNamespace(settings=settings, redis="the redis"), {}
    monkeypatch.setattr(sweeps, "auto_confirm", lambda s, window: calls.setdefault("resize_confirm", (s, window)))
    monkeypatch.setattr(sweeps, "reap_interrupted", lambda s, stale: calls.setdefault("upload_reaper", (s, stale)))
    monkeypatch.setattr(sweeps, "deliver_due", lambda store, s, send: calls.setdefault("reports", (s, send)))
    monkeypatch.setattr(sweeps, "reap_lost_runs", lambda s, redis: calls.setdefault("lost_runners", (s, redis)))
    for name in ("resize_confirm", "upload_reaper", "reports", "lost_runners"):
        sweeps.SWEEPS[name].run(svc)
    assert calls == {"resize_confirm": (svc, 7), "upload_reaper": (svc, 9), "reports": (settings, sweeps.send),
                     "lost_runners": (settings, "the redis")}
