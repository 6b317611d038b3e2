"""The drift report's object storage source where it is not the usual one: no object store
configured, and one bucket holding both images and backups (the settings allow it)."""
import dataclasses

import pytest

from infra.db.models import Backup, Image
from operations import drift
from tests.fakes import record_only
from tests.unit.test_drift import NOW, World


@pytest.fixture
def world(api):
    record_only(api.svc)
    return World(api.svc)


def test_without_an_object_store_the_source_is_not_read_and_the_rest_is_compared(world):
    world.svc.planner.control.objects = None
    world.delete_host("h1")
    report = drift.report(world.svc, NOW)
    assert report["sources"]["objects"] == {"ok": False, "code": "object_store_unconfigured",
                                            "error": "no object store is configured (HOSTFLOW_S3_ENDPOINT)"}
    assert not report["complete"] and "leaked_claim" in report["counts"]


@pytest.fixture
def one_bucket(world):
    """Images and backups in hostflow-images: image i2's object, kept backup b2's manifest
    and chunk, and deleted backup b1's chunk."""
    world.svc.settings = dataclasses.replace(world.svc.settings, backup_bucket="hostflow-images")
    with world.db.session() as s:
        s.add(Image(id="i2", name="deb", disk_format="qcow2", status="active",
                    location="s3://hostflow-images/images/i2"))
        for backup_id, state in (("b1", "deleted"), ("b2", "available")):
            s.add(Backup(id=backup_id, name=backup_id, volume_id="v1", state=state, size_gb=1, chunk_size=1,
                         bucket="hostflow-images", manifest=f"backups/v1/{backup_id}/manifest.json"))
    for key in ("images/i2", "backups/v1/b2/manifest.json", "backups/v1/b2/chunk-00000000",
                "backups/v1/b1/chunk-00000000"):
        world.bucket.put("hostflow-images", key)
    return world


def test_in_a_bucket_of_images_and_backups_what_either_holds_is_no_orphan(one_bucket):
    orphans = [f for f in one_bucket.report()["findings"] if f["kind"] == "orphan_object"]
    assert [f["subject"] for f in orphans] == ["s3://hostflow-images/backups/v1/b1/chunk-00000000"]
    assert orphans[0]["evidence"].endswith("no image names it and no backup holds it")
