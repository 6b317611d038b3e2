"""Uploads cut off by a dead API process: the housekeeping sweep kills the image and
aborts its unfinished multipart upload in the real Swift."""
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from infra.db.images import ImageStore
from infra.db.models import Image
from infra.settings import Settings
from operations.bootstrap import object_store
from operations.image_upload import reap_interrupted


@pytest.fixture
def svc(any_db):
    settings = dataclasses.replace(Settings.from_env(), image_bucket=f"it-reap-{uuid.uuid4().hex[:8]}")
    objects = object_store(settings)
    objects.ensure_bucket(settings.image_bucket)
    yield SimpleNamespace(settings=settings, images=ImageStore(any_db), db=any_db, objects=objects)
    objects.abort_uploads(settings.image_bucket, "")
    objects.client.delete_bucket(Bucket=settings.image_bucket)


def _saving(svc, minutes_ago: int) -> dict:
    image = svc.images.add(name="cut", disk_format="raw", status="saving")
    with svc.db.session() as s:
        s.execute(update(Image).where(Image.id == image["id"])
                  .values(updated_at=datetime.now(UTC) - timedelta(minutes=minutes_ago)))
    key = f"images/{image['id']}"
    upload = svc.objects.client.create_multipart_upload(Bucket=svc.settings.image_bucket, Key=key)
    svc.objects.client.upload_part(Bucket=svc.settings.image_bucket, Key=key, UploadId=upload["UploadId"],
                                   PartNumber=1, Body=b"x" * 1024)
    return image


def _pending(svc, image: dict) -> list:
    listed = svc.objects.client.list_multipart_uploads(Bucket=svc.settings.image_bucket,
                                                       Prefix=f"images/{image['id']}")
    return listed.get("Uploads", [])


def test_a_stale_upload_is_killed_and_its_parts_aborted(svc, monkeypatch):
    monkeypatch.setattr("operations.image_upload.objects", lambda _svc: svc.objects)
    stale, fresh = _saving(svc, minutes_ago=90), _saving(svc, minutes_ago=1)
    assert reap_interrupted(svc, older_than_s=1800) == [stale["id"]]
    killed = svc.images.by_id(stale["id"])
    assert killed["status"] == "killed" and killed["status_reason"] == "upload_interrupted"
    assert _pending(svc, stale) == []
    assert svc.images.by_id(fresh["id"])["status"] == "saving" and len(_pending(svc, fresh)) == 1
    assert reap_interrupted(svc, older_than_s=1800) == []
