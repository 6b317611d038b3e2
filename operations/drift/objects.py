"""Object storage against the image and backup records: a record whose object is gone,
and an object no record names.

An object younger than HOSTFLOW_DRIFT_OBJECT_GRACE_S (a day) is never an orphan: an
upload or a backup may still be writing the record that will name it."""
from __future__ import annotations

from datetime import datetime

from infra.object_store import parse_location
from operations.drift.findings import Finding, Record, Repair
from operations.image_upload import ObjectStoreMissing
from operations.services import Services


def objects(svc: Services, rec: Record, now: datetime) -> list[Finding]:
    store, settings = svc.planner.control.objects, svc.settings
    if store is None:
        raise ObjectStoreMissing("no object store is configured (HOSTFLOW_S3_ENDPOINT)")
    images = svc.images.list() + svc.images.list(status="deleted")
    backups = svc.backups.list(include_deleted=True)
    image_buckets = tuple(dict.fromkeys((settings.image_bucket, settings.snapshot_bucket)))
    listed = {b: store.objects(b) for b in dict.fromkeys((*image_buckets, settings.backup_bucket))}
    stored = {(b, o["key"]) for b, found in listed.items() for o in found}
    found = [f for i in images if (f := _image_missing(i, stored, store))]
    found += [_backup_missing(b) for b in backups if b["state"] == "available"
              and parse_location(b["location"]) not in stored]
    named = {parse_location(i["location"]) for i in images if _in_s3(i) and i["status"] != "deleted"}
    kept = {b["id"] for b in backups if b["state"] != "deleted"} | rec.busy["backups"]
    grace = settings.drift_object_grace_s
    for bucket, held in listed.items():
        images_here, backups_here = bucket in image_buckets, bucket == settings.backup_bucket
        found += [_orphan(bucket, o, _unclaimed(images_here, backups_here)) for o in held if _age(o, now) > grace
                  and not (images_here and (bucket, o["key"]) in named)
                  and not (backups_here and _owner(o["key"]) in kept)]
    return found


def _unclaimed(images_here: bool, backups_here: bool) -> str:
    """Why an object is an orphan; a bucket may hold both images and backups (the settings allow it)."""
    return " and ".join(why for here, why in ((images_here, "no image names it"), (backups_here, "no backup holds it"))
                        if here)


def _in_s3(image: dict) -> bool:
    return (image.get("location") or "").startswith("s3://")


def _image_missing(image: dict, stored: set, store) -> Finding | None:
    if image["status"] != "active" or not _in_s3(image):
        return None
    bucket, key = parse_location(image["location"])
    if (bucket, key) in stored or store.head(bucket, key) is not None:
        return None
    return Finding("image_object_missing", f"image {image['id']}",
                   f"image {image['name']} is active at {image['location']}, which holds no object",
                   "deactivate the image, or upload it again")


def _backup_missing(backup: dict) -> Finding:
    return Finding("backup_object_missing", f"backup {backup['id']}",
                   f"backup {backup['name']} of volume {backup['volume_id']} is available and its manifest "
                   f"{backup['location']} is gone", "mark the backup failed, or take a new one")


def _orphan(bucket: str, obj: dict, why: str) -> Finding:
    return Finding("orphan_object", f"s3://{bucket}/{obj['key']}",
                   f"{obj['size']} bytes, written {obj['modified'].isoformat()}; {why}",
                   "delete the object", Repair("delete_object", {"bucket": bucket, "key": obj["key"]}))


def _owner(key: str) -> str:
    """The backup id of a key `backups/<volume>/<backup>/...` ("" for any other key)."""
    parts = key.split("/")
    return parts[2] if len(parts) > 3 and parts[0] == "backups" else ""


def _age(obj: dict, now: datetime) -> float:
    return (now - obj["modified"]).total_seconds()
