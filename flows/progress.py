"""A long step's progress, relayed while the step runs: into the operation's journal
(GET /v1/operations/{id}) and, inside Prefect, onto a progress artifact of the task run."""
from __future__ import annotations

import logging

from prefect.artifacts import create_progress_artifact, update_progress_artifact

log = logging.getLogger("hostflow.progress")
MIB = 1 << 20


class StepProgress:
    def __init__(self, journal, op_id: str, step: str, prefect: bool):
        self.journal, self.op_id, self.step, self.prefect = journal, op_id, step, prefect
        self.artifact_id = None

    def __call__(self, progress: dict) -> None:
        self.journal.set_progress(self.op_id, self.step, progress)
        if self.prefect:
            self._artifact(progress)

    def _artifact(self, progress: dict) -> None:
        done, total = progress.get("done_bytes", 0), progress.get("total_bytes") or 0
        percent = 100.0 * done / total if total else 0.0
        text = f"{self.step}: {done / MIB:.0f} of {total / MIB:.0f} MiB"
        try:
            if self.artifact_id is None:
                key = f"{self.step.replace('_', '-')}-{self.op_id}".lower()
                self.artifact_id = create_progress_artifact(percent, key=key, description=text)
            else:
                update_progress_artifact(self.artifact_id, percent, description=text)
        except Exception as exc:  # noqa: BLE001 - progress is advisory; the step goes on
            log.warning("progress artifact for %s not updated: %s", self.step, exc)
