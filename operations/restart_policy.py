"""Hosts allocated with `"restart": "always"` are started again when their guest stops
on its own (or behind hostflow's back), as a process supervisor would: the first restart
at once, then after a backoff that doubles with each restart (2 s, 4 s, ... at most
5 minutes), counted again from zero once a host has run quietly for 10 minutes. A stop,
suspend or reboot through hostflow is never undone. Every other host is only recorded."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from infra.errors import Conflict
from operations.origin import Origin
from operations.power import submit_action
from operations.requests import HostAction
from operations.services import Services

MAX_BACKOFF_S = 300
QUIET_S = 600
ORIGIN = Origin("restart-policy", "hostflow")


def backoff_s(restarts: int) -> int:
    return 0 if restarts == 0 else min(2 ** restarts, MAX_BACKOFF_S)


def restarts_before(host: dict, now: datetime) -> int:
    """The restarts that count towards the backoff: none after a quiet spell."""
    last = host["restarted_at"]
    return 0 if last is None or now - last > timedelta(seconds=QUIET_S) else host["restart_count"]


def restart_due(svc: Services, now: datetime | None = None) -> list[str]:
    """Starts every host whose policy asks for it and whose backoff has passed; the hosts
    started. One not yet due waits for the next report or sweep."""
    now = now or datetime.now(UTC)
    started = []
    for host in svc.power.stopped_on_their_own():
        count = restarts_before(host, now)
        if host["restarted_at"] is not None and now < host["restarted_at"] + timedelta(seconds=backoff_s(count)):
            continue
        try:
            submit_action(svc, host["id"], HostAction(action="start"), ORIGIN)
        except Conflict:
            continue
        svc.power.count_restart(host["id"], count + 1, now)
        started.append(host["id"])
    return started
