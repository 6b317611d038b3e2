"""A worker process outlives its RQ worker: one that quits on a lost Redis is replaced,
under a new name, after a backoff; one asked to stop is not."""
import threading

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from infra.settings import Settings
from workers import process


class QuittingWorker:
    """Quits `quits` times without being asked (the last time raising as RQ's teardown
    does with Redis gone), then is asked to stop."""

    def __init__(self, log: list, quits: int):
        self.log, self.quits, self._stop_requested, self._shutdown_requested_date = log, quits, False, None

    def work(self, **_kw):
        if len(self.log) > self.quits:
            self._shutdown_requested_date = "now"  # as RQ's SIGTERM handler on an idle worker
            return
        if len(self.log) == self.quits:
            raise RedisConnectionError("Connection refused")


class NoRedis:
    def set(self, *a, **kw):
        return None


@pytest.fixture
def started(monkeypatch):
    names, sleeps = [], []

    def make_worker(redis, role, node, name, ttl):
        names.append(name)
        return QuittingWorker(names, quits=2)

    monkeypatch.setattr(process, "make_worker", make_worker)
    process.work_until_stopped(NoRedis(), "flows", "", Settings.from_env({}), False, threading.Event(),
                               sleep=sleeps.append)
    return names, sleeps


def test_a_worker_that_quits_unasked_is_replaced_until_one_is_asked_to_stop(started):
    names, _ = started
    assert len(names) == 3


def test_each_replacement_has_a_name_of_its_own(started):
    names, _ = started
    assert len(set(names)) == len(names) and names[1].endswith("-1")


def test_replacements_back_off(started):
    _, sleeps = started
    assert sleeps == [2.0, 4.0]
