"""Backup requests that must be refused, leaving every record as it was."""
import json
import uuid

import pytest

from flows.runner import run_operation
from infra.db.models import Backup, Volume
from infra.errors import StepFailed
from tests.fakes import record_only


def add_volume(client, vid="v1", state="available", size_gb=1, host_id=None):
    with client.svc.operations.db.session() as s:
        s.add(Volume(id=vid, name=f"data-{vid}", env="test", size_gb=size_gb, state=state, hypervisor="hv1",
                     host_id=host_id))


def add_backup(client, bid="b1", vid="v1", state="available", parent_id=None, size_gb=1):
    with client.svc.operations.db.session() as s:
        s.add(Backup(id=bid, name=f"bk-{bid}", volume_id=vid, parent_id=parent_id, state=state, size_gb=size_gb,
                     chunk_size=32 << 20, bucket="hostflow-backups", manifest=f"backups/{vid}/{bid}/manifest.json",
                     stats={}))


def call(client, method, path, body=None, key=None):
    """As a client of the API: each call with `key` as its Idempotency-Key, else a new one."""
    return client.open(path, method=method, data=json.dumps(body) if body is not None else None,
                       headers={"Authorization": f"Bearer {client.admin}", "Content-Type": "application/json",
                                "Idempotency-Key": key or str(uuid.uuid4())})


@pytest.mark.parametrize("body", [{"incremental": "yes"}, {"nmae": "x"}, {"name": "Not A Label"}])
def test_a_bad_backup_request_is_422_and_records_nothing(api, body):
    add_volume(api)
    resp = call(api, "POST", "/v1/volumes/v1/backups", body)
    assert resp.status_code == 422
    assert api.svc.backups.list() == [] and api.svc.volumes.get("v1")["state"] == "available"


def test_an_incremental_backup_needs_an_available_one_to_build_on(api):
    add_volume(api)
    add_backup(api, state="error")
    resp = call(api, "POST", "/v1/volumes/v1/backups", {"incremental": True})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "no_parent_backup"
    assert len(api.svc.backups.list()) == 1 and api.svc.volumes.get("v1")["state"] == "available"


@pytest.mark.parametrize("state", ["creating", "attaching", "backing-up", "restoring-backup", "deleting"])
def test_backing_up_a_busy_volume_is_refused_and_no_backup_is_recorded(api, state):
    add_volume(api, state=state)
    resp = call(api, "POST", "/v1/volumes/v1/backups", {})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "volume_busy"
    assert api.svc.backups.list() == [] and api.svc.volumes.get("v1")["state"] == state


def test_a_backup_of_an_unknown_volume_is_404(api):
    assert call(api, "POST", "/v1/volumes/nope/backups", {}).status_code == 404


def test_restoring_onto_an_in_use_volume_is_refused(api):
    add_volume(api)
    add_volume(api, vid="v2", state="in-use", host_id="h1")
    add_backup(api)
    resp = call(api, "POST", "/v1/backups/b1/restore", {"volume_id": "v2"})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "volume_in_use"
    assert api.svc.volumes.get("v2")["state"] == "in-use" and api.svc.backups.get("b1")["state"] == "available"


def test_restoring_onto_a_smaller_volume_is_refused(api):
    add_volume(api, size_gb=1)
    add_backup(api, size_gb=2)
    resp = call(api, "POST", "/v1/backups/b1/restore", {"volume_id": "v1"})
    assert resp.status_code == 422 and resp.json["error"]["code"] == "volume_too_small"
    assert api.svc.volumes.get("v1")["state"] == "available" and api.svc.backups.get("b1")["state"] == "available"


def test_restoring_a_backup_that_is_not_available_is_refused(api):
    add_volume(api)
    add_backup(api, state="creating")
    resp = call(api, "POST", "/v1/backups/b1/restore", {"volume_id": "v1"})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "backup_busy"
    assert api.svc.volumes.get("v1")["state"] == "available"


def test_deleting_a_backup_with_an_incremental_child_is_refused(api):
    add_volume(api)
    add_backup(api)
    add_backup(api, bid="b2", parent_id="b1")
    resp = call(api, "DELETE", "/v1/backups/b1")
    assert resp.status_code == 409 and resp.json["error"]["details"] == {"dependents": 1}
    assert api.svc.backups.get("b1")["state"] == "available"


def test_a_deleted_child_no_longer_holds_its_parent(api):
    add_volume(api)
    add_backup(api)
    add_backup(api, bid="b2", parent_id="b1", state="deleted")
    assert api.svc.backups.dependents("b1") == 0


def test_backups_are_listed_per_volume(api):
    add_volume(api)
    add_volume(api, vid="v2")
    add_backup(api)
    add_backup(api, bid="b2", vid="v2")
    listed = call(api, "GET", "/v1/backups?volume_id=v2").json["backups"]
    assert [b["id"] for b in listed] == ["b2"] and listed[0]["location"].startswith("s3://hostflow-backups/")


# --- the operation's end and its retry (flow run in-process, nodes faked) ---------

class Nodes:
    def __init__(self, fail_at=None):
        self.fail_at = fail_at

    def run(self, queue, job_id, function, request, reuse=True, mode="do", on_progress=None):
        if function == self.fail_at:
            raise StepFailed(f"injected fault in {function}", code="injected_fault")
        stats = {"stored_chunks": 1, "chunks": 32}
        return {"ok": True, "outcome": {"changed": True, "before": None, "after": "x", "note": "", "data": stats}}


@pytest.fixture
def queued(api):
    return record_only(api.svc).queued


def _run(api, op_id, nodes):
    return run_operation(op_id, settings=api.svc.settings, dispatcher=nodes, prefect=False)


def test_a_failed_backup_is_retried_to_the_end(api, queued):
    add_volume(api)
    op_id = call(api, "POST", "/v1/volumes/v1/backups", {}).json["operation"]["id"]
    _run(api, op_id, Nodes(fail_at="backup_volume"))
    backup_id = api.svc.operations.get(op_id)["backup_id"]
    assert api.svc.backups.get(backup_id)["state"] == "error" and api.svc.volumes.get("v1")["state"] == "available"
    assert call(api, "POST", f"/v1/operations/{op_id}/retry").status_code == 202
    assert api.svc.backups.get(backup_id)["state"] == "creating"
    assert api.svc.volumes.get("v1")["state"] == "backing-up"
    _run(api, op_id, Nodes())
    backup = api.svc.backups.get(backup_id)
    assert backup["state"] == "available" and backup["stats"] == {"stored_chunks": 1, "chunks": 32}
    assert api.svc.volumes.get("v1")["state"] == "available"


def test_a_backup_retry_is_refused_while_its_volume_is_taken(api, queued):
    add_volume(api)
    op_id = call(api, "POST", "/v1/volumes/v1/backups", {}).json["operation"]["id"]
    _run(api, op_id, Nodes(fail_at="backup_volume"))
    api.svc.volumes.swap("v1", {"available"}, "attaching")
    assert call(api, "POST", f"/v1/operations/{op_id}/retry").status_code == 409
    backup_id = api.svc.operations.get(op_id)["backup_id"]
    assert api.svc.backups.get(backup_id)["state"] == "error"  # one transaction: nothing taken
    assert api.svc.operations.get(op_id)["state"] == "failed"


def test_a_failed_restore_leaves_the_target_error_and_the_backup_available(api, queued):
    add_volume(api)
    add_backup(api)
    op_id = call(api, "POST", "/v1/backups/b1/restore", {"volume_id": "v1"}).json["operation"]["id"]
    _run(api, op_id, Nodes(fail_at="restore_backup"))
    assert api.svc.volumes.get("v1")["state"] == "error" and api.svc.backups.get("b1")["state"] == "available"
