"""The drift report against the stack's real BIND, Swift and a hypervisor worker (asked
for its inventory through its queue), with a record of its own: a fresh SQLite database
and buckets of its own. The record knows nothing of the stack's own hosts, so these tests
look only at the findings about what they made."""
import dataclasses
import uuid
from datetime import UTC, datetime

import pytest

from functions.dns import ensure_record
from functions.registry import FUNCTIONS
from infra.db import migrate
from infra.db.hypervisors import HypervisorStore
from infra.db.models import Host
from infra.settings import Settings
from operations import bootstrap, drift
from operations.origin import Origin


@pytest.fixture
def svc(tmp_path, objects):
    stack = Settings.from_env()
    buckets = {name: f"it-drift-{name[:5]}-{uuid.uuid4().hex[:8]}"
               for name in ("image_bucket", "snapshot_bucket", "backup_bucket")}
    # grace -60: every object counts as past it (S3's LastModified is whole seconds, it can
    # read a moment ahead of this clock)
    settings = dataclasses.replace(stack, database_url=f"sqlite:///{tmp_path / 'drift.db'}", drift_object_grace_s=-60,
                                   exports_dir=str(tmp_path / "exports.d"), **buckets)
    migrate.upgrade(settings.database_url)
    for bucket in buckets.values():
        objects.ensure_bucket(bucket)
    yield bootstrap.api_services(settings)
    for bucket in buckets.values():
        objects.delete_keys(bucket, objects.keys(bucket, ""))
        objects.client.delete_bucket(Bucket=bucket)


def about(report: dict, subject_part: str) -> list[dict]:
    return [f for f in report["findings"] if subject_part in f["subject"] or subject_part == f["host_id"]]


def repaired(svc, finding: dict) -> None:
    """Runs the finding's repair operation's one control function here (the stack's
    control worker keeps the stack's own record, not this test's)."""
    done = drift.repair(svc, Origin("cli", "itest"), only={finding["id"]})
    (submitted,) = done["repairs"]
    assert svc.operations.get(submitted["operation"])["params"]["function"] == finding["repair"]["function"]
    FUNCTIONS[finding["repair"]["function"]].run(svc.planner.control, finding["repair"]["request"])


def test_a_record_of_a_gone_host_is_found_on_the_server_and_its_repair_removes_it(svc):
    control, host_id = svc.planner.control, f"gone-{uuid.uuid4().hex[:8]}"
    fqdn = f"{host_id}.itest.{svc.settings.dns_zone}"
    ensure_record(control, {"fqdn": fqdn, "type": "A", "value": "10.213.0.251", "host_id": host_id,
                            "kind": "business"})
    (found,) = about(drift.report(svc), host_id)
    assert found["kind"] == "dns_record_of_gone_host" and found["safe"]
    repaired(svc, found)
    assert control.dns.rrset(fqdn, "A") is None
    assert about(drift.report(svc), host_id) == []


def test_a_record_missing_from_the_server_is_found(svc):
    control, host_id = svc.planner.control, f"h-{uuid.uuid4().hex[:8]}"
    with svc.operations.db.session() as s:
        s.add(Host(id=host_id, name=host_id, env="itest", fqdn="x", state="active", hypervisor=None, image_id="i",
                   vcpus=1, ram_mb=64, disk_gb=1, addresses=[]))
    fqdn = f"{host_id}.itest.{svc.settings.dns_zone}"
    record = control.dns_records.claim(fqdn, "A", "10.213.0.252", 300, host_id, "business")
    control.dns_records.set_state(record["id"], "active")
    kinds = {f["kind"] for f in about(drift.report(svc), fqdn)}
    assert kinds == {"dns_record_missing"}


def test_an_object_no_record_names_is_an_orphan_and_its_repair_deletes_it(svc):
    objects, bucket = svc.planner.control.objects, svc.settings.image_bucket
    objects.put_bytes(bucket, "images/stray", b"left behind")
    (found,) = about(drift.report(svc), f"s3://{bucket}/images/stray")
    assert found["kind"] == "orphan_object"
    repaired(svc, found)
    assert objects.head(bucket, "images/stray") is None


def test_a_hypervisor_is_asked_through_its_queue_and_a_host_without_its_domain_is_found(svc):
    settings = svc.settings
    HypervisorStore(svc.operations.db).register("hv1", "hv.hv1", {"vcpus": 8, "ram_mb": 8192, "disk_gb": 100},
                                                {"cpu": 1.0, "ram": 1.0, "disk": 1.0})
    HypervisorStore(svc.operations.db).beat("hv1", datetime.now(UTC))
    host_id = str(uuid.uuid4())
    with svc.operations.db.session() as s:
        s.add(Host(id=host_id, name="nodomain", env="itest", fqdn=f"nodomain.itest.{settings.dns_zone}",
                   state="active", hypervisor="hv1", image_id="i", vcpus=1, ram_mb=64, disk_gb=1, addresses=[]))
    report = drift.report(svc)
    assert report["sources"]["node:hv1"]["ok"], report["sources"]
    assert "host_without_domain" in {f["kind"] for f in about(report, host_id)}
