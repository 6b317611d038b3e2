"""Snapshots of a host's root disk: a flattened qcow2 copy (consistent while the
guest runs), uploaded to object storage as an image file.

    <node root>/snapshots/<image id>.qcow2      the copy, until it is uploaded
    s3://<snapshot bucket>/images/<image id>    the image file (metadata: sha512, virtual_size)"""
from __future__ import annotations

from pathlib import Path

from functions import live_copy
from functions.node import FILE_MODE, Node
from functions.outcome import Outcome, Plan
from infra.domain_xml import domain_name
from infra.errors import ComputeError, StorageError
from infra.image_source import sha512_of

ROOT_TARGET = "vda"
STOPPED = {"shutoff", "crashed"}


def snapshot_file(node: Node, image_id: str) -> Path:
    return node.root / "snapshots" / f"{image_id}.qcow2"


def image_key(image_id: str) -> str:
    return f"images/{image_id}"


def decide_snapshot(present: bool, domain_state: str) -> Plan:
    if present:
        return Plan("none")
    if domain_state == "absent":
        return Plan("conflict", "the host's domain is not defined")
    if domain_state in STOPPED:
        return Plan("convert", "qemu-img convert of the stopped root disk, flattened")
    return Plan("block_copy", "libvirt blockCopy of the running root disk, flattened, then aborted without pivot")


def _chain(node: Node, host_id: str) -> dict:
    """What the snapshot must leave as it was: the disk's backing file and the vda source
    of the live and the persistent definition."""
    name = domain_name(host_id)
    sources = {live: [d["source"] for d in node.compute.disks(name, live=live) if d["target"] == ROOT_TARGET]
               for live in (True, False)}
    backing = node.disk_images.info(node.root_disk(host_id), "qcow2").get("backing-filename")
    return {"backing": backing, "live": sources[True], "persistent": sources[False]}


def _facts(node: Node, path: Path) -> dict:
    return {"path": str(path), "size": path.stat().st_size,
            "virtual_size": node.disk_images.info(path, "qcow2")["virtual-size"]}


def snapshot_root_disk(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "image_id"}. An existing snapshot file is the finished copy
    (it takes its name only once complete and verified). The result says whether the copy
    was `quiesced` (a running guest's filesystems frozen through its agent)."""
    host_id, final = req["host_id"], snapshot_file(node, req["image_id"])
    name = domain_name(host_id)
    plan = decide_snapshot(final.exists(), node.compute.state(name))
    if plan.noop:
        return Outcome.unchanged("present", **_facts(node, final))
    if plan.action == "conflict":
        raise ComputeError(f"cannot snapshot host {host_id}: {plan.detail}", code="domain_absent")
    before = _chain(node, host_id)
    node.make_dir(final.parent)
    tmp = final.with_name(final.name + ".part")
    quiesced = False
    try:
        if plan.action == "block_copy":
            quiesced = live_copy.copy_live(node, name, ROOT_TARGET, tmp)
        else:
            tmp.unlink(missing_ok=True)
            node.disk_images.convert_to_qcow2(node.root_disk(host_id), "qcow2", tmp)
        if node.disk_images.info(tmp, "qcow2").get("backing-filename"):
            raise StorageError(f"{tmp} still has a backing file", code="verify_failed")
        tmp.chmod(FILE_MODE)
        tmp.replace(final)
    finally:
        tmp.unlink(missing_ok=True)
    if _chain(node, host_id) != before:
        raise StorageError(f"the disk chain of host {host_id} changed during the snapshot", code="verify_failed")
    facts = {**_facts(node, final), "quiesced": quiesced}
    return Outcome(True, before="absent", after="present", note=plan.action, data=facts)


def delete_snapshot_file(node: Node, req: dict) -> Outcome:
    """req: {"image_id"}. Also a half-written copy. Already gone is success."""
    final = snapshot_file(node, req["image_id"])
    present = [p for p in (final, final.with_name(final.name + ".part")) if p.exists()]
    for path in present:
        path.unlink()
    if not present:
        return Outcome.unchanged("absent")
    return Outcome(True, before=[p.name for p in present], after="absent")


# --- upload ---------------------------------------------------------------------

def decide_upload(stored_sha512: str | None, local_sha512: str | None) -> Plan:
    """stored: the object's sha512 metadata (None: no object); local: the file's (None: no file)."""
    if stored_sha512 and local_sha512 in (None, stored_sha512):
        return Plan("none")
    if local_sha512 is None:
        return Plan("conflict", "neither the snapshot file nor its object exists")
    return Plan("upload", "multipart upload" + (", replacing a different object" if stored_sha512 else ""))


def upload_image_file(node: Node, req: dict) -> Outcome:
    """req: {"image_id", "bucket", "key"}. Returns the image's sha512, size, virtual_size, location."""
    objects, bucket, key = node.objects, req["bucket"], req["key"]
    path = snapshot_file(node, req["image_id"])
    head = objects.head(bucket, key)
    local = sha512_of(path) if path.exists() else None
    plan = decide_upload(head and head["metadata"].get("sha512"), local)
    if plan.noop:
        return Outcome.unchanged("uploaded", **_object_facts(bucket, key, head))
    if plan.action == "conflict":
        raise StorageError(f"image {req['image_id']}: {plan.detail}", code="snapshot_file_missing")
    virtual_size = node.disk_images.info(path, "qcow2")["virtual-size"]
    size = path.stat().st_size
    node.progress(0, size)
    objects.ensure_bucket(bucket)
    objects.upload_file(path, bucket, key, metadata={"sha512": local, "virtual_size": str(virtual_size)})
    head = objects.head(bucket, key)
    if head is None or head["size"] != size or head["metadata"].get("sha512") != local:
        raise StorageError(f"s3://{bucket}/{key} does not match {path} after upload", code="verify_failed")
    node.progress(size, size)
    return Outcome(True, before="absent", after="uploaded", note=plan.detail,
                   data=_object_facts(bucket, key, head))


def _object_facts(bucket: str, key: str, head: dict) -> dict:
    meta = head["metadata"]
    return {"sha512": meta["sha512"], "size": head["size"], "virtual_size": int(meta.get("virtual_size") or 0),
            "location": f"s3://{bucket}/{key}"}


def delete_image_object(node: Node, req: dict) -> Outcome:
    """req: {"bucket", "key"}. The inverse of upload_image_file."""
    if not node.objects.delete(req["bucket"], req["key"]):
        return Outcome.unchanged("absent")
    return Outcome(True, before="uploaded", after="absent")


# --- plans ----------------------------------------------------------------------

def plan_snapshot(node: Node, req: dict) -> Plan:
    return decide_snapshot(snapshot_file(node, req["image_id"]).exists(),
                           node.compute.state(domain_name(req["host_id"])))


def plan_upload(node: Node, req: dict) -> Plan:
    head = node.objects.head(req["bucket"], req["key"])
    return Plan("none") if head else Plan("upload", f"to s3://{req['bucket']}/{req['key']}")


def plan_delete_snapshot_file(node: Node, req: dict) -> Plan:
    return Plan("delete", "snapshot file") if snapshot_file(node, req["image_id"]).exists() else Plan("none")


def plan_delete_object(node: Node, req: dict) -> Plan:
    return Plan("delete", "image object") if node.objects.head(req["bucket"], req["key"]) else Plan("none")
