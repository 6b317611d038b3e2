"""A hypervisor node's power-state reports: every lifecycle event of one of its marked
domains, and a complete sync every `power_sync_interval` seconds and after every
(re)connection to libvirtd (what events missed, a worker restart included). Reports go
through the control queue (nodes hold no database credentials); the control plane
records only what changed, so a report sent twice records nothing twice."""
from __future__ import annotations

import logging
import queue as queues
import threading
import time
import uuid
from datetime import UTC, datetime

from infra.libvirt_compute import LibvirtCompute
from infra.libvirt_events import DomainEvents
from infra.queue import node_job_id, queue
from infra.settings import Settings

log = logging.getLogger("hostflow.power_sync")
REPORT_JOB = "workers.housekeeping.record_power_states"
COMPLETE = object()  # a request for a complete sync, among the domain names events queue
BATCH_S = 0.2  # events arriving together are read and reported together
RETRY_S = 1.0


class PowerReports:
    def __init__(self, redis, settings: Settings):
        self.control, self.settings = queue(redis, "control"), settings
        self.compute = LibvirtCompute(settings.libvirt_uri)
        self.pending: queues.Queue = queues.Queue()

    def complete(self) -> None:
        self._send(self.compute.power_states(self.settings.stack_id), True, "sync")

    def changed(self, names: set[str]) -> None:
        found = []
        for name in sorted(names):
            marks = self.compute.marks(name)
            if marks.get("stack") == self.settings.stack_id and marks.get("host"):
                found.append({"domain": name, "host": marks["host"], "state": self.compute.power_state(name)})
        if found:
            self._send(found, False, "event")

    def _send(self, domains: list[dict], complete: bool, source: str) -> None:
        node = self.settings.node
        self.control.enqueue(REPORT_JOB, args=(node, domains, datetime.now(UTC).isoformat(), complete, source),
                             job_id=node_job_id(node, f"power_{uuid.uuid4().hex}"), result_ttl=60, ttl=300)

    def run(self, stop: threading.Event) -> None:
        """Reports what events and the sync interval ask for, until `stop` is set."""
        every = self.settings.power_sync_interval
        self.pending.put(COMPLETE)
        while not stop.is_set():
            try:
                first = self.pending.get(timeout=every)
            except queues.Empty:
                first = COMPLETE
            batch = self._drain(first)
            try:
                if COMPLETE in batch:
                    self.complete()
                else:
                    self.changed(batch)
            except Exception as exc:  # noqa: BLE001 - libvirtd or redis restarting: a complete sync again soon
                log.warning("power report failed (%s); a complete sync follows in %.0f s", exc, RETRY_S)
                self.compute.close()
                stop.wait(RETRY_S)
                self.pending.put(COMPLETE)

    def _drain(self, first) -> set:
        batch = {first}
        time.sleep(BATCH_S)
        while True:
            try:
                batch.add(self.pending.get_nowait())
            except queues.Empty:
                return batch


def start(redis, settings: Settings, stop: threading.Event) -> None:
    """The event watcher and the reporter, each in a thread of the worker."""
    reports = PowerReports(redis, settings)
    events = DomainEvents(settings.libvirt_uri)
    threading.Thread(target=events.watch, args=(reports.pending.put, lambda: reports.pending.put(COMPLETE), stop),
                     name="power-events", daemon=True).start()
    threading.Thread(target=reports.run, args=(stop,), name="power-reports", daemon=True).start()
