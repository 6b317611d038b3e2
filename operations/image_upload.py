"""PUT /v1/images/{id}/file: the request body streams into object storage (multipart),
hashed (SHA-512) and inspected on the way, never whole in memory nor on disk. The
inspection runs before the multipart upload completes, so a refused or cut-off
upload ends `killed` and leaves no object."""
from __future__ import annotations

import hashlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from infra.errors import Conflict, HostflowError, StorageError
from infra.image_inspection import ImageRejected, InspectingStream, Inspection
from operations.bootstrap import object_store
from operations.image_access import changeable_image
from operations.services import Services

log = logging.getLogger("hostflow.api.images")
GIB = 1 << 30


class UploadInterrupted(HostflowError):
    code, status = "upload_interrupted", 400


class ObjectStoreMissing(StorageError):
    code = "object_store_unconfigured"


def objects(svc: Services):
    store = object_store(svc.settings)
    if store is None:
        raise ObjectStoreMissing("no object store is configured (HOSTFLOW_S3_ENDPOINT)")
    return store


class BackgroundHash:
    """SHA-512 in a thread of its own, one chunk behind the reader: hashlib lets go of the
    GIL, so the next chunk is received while this one is hashed (uploads were ~25% slower
    with the hash in the reading thread)."""

    def __init__(self):
        self.digest = hashlib.sha512()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="sha512")
        self._pending: Future | None = None

    def update(self, chunk: bytes) -> None:
        self._wait()
        self._pending = self._pool.submit(self.digest.update, chunk)

    def hexdigest(self) -> str:
        self._wait()
        return self.digest.hexdigest()

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None


class InspectedBody:
    """The request body as the uploader reads it: counted, hashed and inspected."""

    def __init__(self, stream, disk_format: str, max_bytes: int, length: int | None = None):
        self.stream, self.max_bytes, self.length = stream, max_bytes, length
        self.inspecting = InspectingStream(disk_format)
        self.sha512 = BackgroundHash()
        self.inspection: Inspection | None = None

    def read(self, size: int) -> bytes:
        try:
            chunk = self.stream.read(size)
        except Exception as exc:  # noqa: BLE001 - werkzeug or the server: the client went away
            raise UploadInterrupted(f"the upload was cut off after {self.inspecting.size} bytes: {exc}") from exc
        if not chunk and size and self.length is not None and self.inspecting.size != self.length:
            raise UploadInterrupted(f"the upload was cut off after {self.inspecting.size} of {self.length} bytes")
        self.sha512.update(chunk)
        self.inspecting.feed(chunk)
        if self.inspecting.size > self.max_bytes:
            raise ImageRejected(f"the upload is over {self.max_bytes} bytes", "virtual_size_too_large")
        return chunk

    def inspect(self, max_virtual_size: int) -> None:
        """Runs once every byte is stored, before the object is completed."""
        if self.inspecting.size == 0:
            raise ImageRejected("the upload is empty", "empty")
        self.inspection = self.inspecting.result(max_virtual_size)


def upload(svc: Services, image_id: str, stream, identity: dict, length: int | None = None) -> dict:
    """length: the request's Content-Length; servers end a short body as if it were whole.
    Only a token that may change the image uploads to it (operations.image_access)."""
    image = changeable_image(svc, image_id, identity)
    store, bucket, key = objects(svc), svc.settings.image_bucket, f"images/{image_id}"
    limit = svc.settings.max_image_virtual_gb * GIB
    body = InspectedBody(stream, image["disk_format"], max_bytes=limit + limit // 8, length=length)
    if not svc.images.transition(image_id, {"queued"}, "saving"):
        raise Conflict(f"image {image_id} is {image['status']}: only a queued image takes an upload",
                       code="image_not_queued", details={"status": image["status"]})
    try:
        store.ensure_bucket(bucket)
        size = store.upload_stream(body, bucket, key, before_complete=lambda: body.inspect(limit))
    except Exception as exc:
        _kill(svc, image_id, exc)
        raise
    finally:
        body.sha512.close()
    fields = {"size": size, "virtual_size": body.inspection.virtual_size, "os_hash_algo": "sha512",
              "os_hash_value": body.sha512.hexdigest(), "location": f"s3://{bucket}/{key}"}
    if not svc.images.transition(image_id, {"saving"}, "active", **fields):
        store.delete(bucket, key)
        raise Conflict(f"image {image_id} was deleted during its upload", code="image_deleted")
    return svc.images.by_id(image_id)


def _kill(svc: Services, image_id: str, exc: Exception) -> None:
    if isinstance(exc, ImageRejected):
        reason = exc.reason
    elif isinstance(exc, HostflowError):
        reason = exc.code
    else:
        reason = "internal_error"
        log.error("upload of image %s failed", image_id, exc_info=exc)
    message = getattr(exc, "message", None) or str(exc)
    svc.images.transition(image_id, {"saving"}, "killed", status_reason=reason, status_message=message)
    log.warning("image %s killed: %s: %s", image_id, reason, message)


def reap_interrupted(svc: Services, older_than_s: int) -> list[str]:
    """Images left `saving` longer than any upload may take (the API process died
    mid-upload) become `killed`, and their unfinished multipart uploads are aborted."""
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
    reaped = []
    for image in svc.images.list(status="saving"):
        if datetime.fromisoformat(image["updated_at"] or image["created_at"]) > cutoff:
            continue
        objects(svc).abort_uploads(svc.settings.image_bucket, f"images/{image['id']}")
        if svc.images.transition(image["id"], {"saving"}, "killed", status_reason="upload_interrupted",
                                 status_message=f"no upload finished within {older_than_s} s"):
            reaped.append(image["id"])
    return reaped
