"""Operations whose flow runner died: a worker killed (or restarted) while it ran one
leaves it `running` with nobody running it, and no retry could take it. The control
worker's `lost_runners` sweep (workers/sweeps.py) ends each such operation `failed`
(`worker_lost`), recorded as any failure is (its records keep their in-flight state,
its ticket hears of it), so `POST /v1/operations/{id}/retry` resumes it at its first
step not journalled done. Its fence is ended, so a step it left queued does nothing."""
from __future__ import annotations

import logging

from flows.kinds import KINDS
from flows.runner import Recorder, stores
from infra import fencing
from infra.errors import WorkerLost
from infra.queue import operation_job_lost
from webhooks.notifier import report_end

log = logging.getLogger("hostflow.reaper")


def reap_lost_runs(settings, redis) -> list[str]:
    st = stores(settings)
    running, _ = st.ops.list(state="running", limit=500)
    lost = []
    for summary in running:
        if not operation_job_lost(redis, summary["id"], summary["attempts"] - 1):
            continue
        op = st.ops.get(summary["id"])
        if op["state"] != "running":
            continue
        recorder = Recorder(st, KINDS[op["kind"]], op, on_end=lambda op_id: report_end(settings, op_id))
        recorder.finish(None, WorkerLost("the flow runner running it was lost; retry the operation to resume it"))
        fencing.end(redis, op["id"])
        log.warning("operation %s lost its flow runner: ended failed (worker_lost)", op["id"])
        lost.append(op["id"])
    return lost
