"""Streaming to and from object storage, for bytes of unknown length that must never
sit whole in memory (an image upload through the API). Used by ObjectStore."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from dataclasses import dataclass

from infra.errors import StorageError

log = logging.getLogger("hostflow.object_store")

Translated = Callable[..., AbstractContextManager]


def read_full(fileobj, size: int) -> bytes:
    """Up to `size` bytes; fewer only at the end of the stream. One read usually gives
    them all, and then they are not copied."""
    first = fileobj.read(size)
    pieces, got = [first], len(first)
    while first and got < size:
        piece = fileobj.read(size - got)
        if not piece:
            break
        pieces.append(piece)
        got += len(piece)
    return first if len(pieces) == 1 else b"".join(pieces)


@dataclass(frozen=True)
class PartPlan:
    """Part sizes and how many bytes may be in flight. Parts double every fifth of
    `max_parts` (Swift's s3api allows 1000 parts, S3 10000), so `max_parts` parts hold
    31 x max_parts / 5 first parts: 96 GiB from 16 MiB parts and 1000 parts. In flight
    at most `first * concurrency` bytes, or one part once parts are larger than that:
    with the defaults, memory stays near 96 MiB up to 9.6 GiB, and past 48 GiB, with
    256 MiB parts, near 512 MiB. 16 MiB parts, 5 in flight, were 15% faster against
    Swift here than 8 MiB ones, 10 in flight."""

    first: int = 16 << 20
    concurrency: int = 5
    max_parts: int = 1000

    def size(self, number: int) -> int:
        return self.first << ((number - 1) // max(1, self.max_parts // 5))

    @property
    def budget(self) -> int:
        return self.first * self.concurrency


class ObjectTooLarge(StorageError):
    code = "object_too_large"


class StreamUpload:
    """One object from a stream, part by part (PartPlan). `before_complete` runs once every
    byte is stored and before the object appears; anything raised up to then, by it, the
    stream or the store, aborts the upload and leaves neither object nor parts."""

    def __init__(self, client, translated: Translated, bucket: str, key: str, plan: PartPlan):
        self.client, self.translated, self.bucket, self.key, self.plan = client, translated, bucket, key, plan

    def run(self, fileobj, before_complete: Callable[[], None] | None = None) -> int:
        first = read_full(fileobj, self.plan.size(1))
        if len(first) < self.plan.size(1):
            if before_complete:
                before_complete()
            with self.translated("put", self.bucket, self.key):
                self.client.put_object(Bucket=self.bucket, Key=self.key, Body=first)
            return len(first)
        with self.translated("create multipart upload", self.bucket, self.key):
            upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=self.key)["UploadId"]
        try:
            parts, size = self._parts(fileobj, upload_id, first)
            if before_complete:
                before_complete()
            with self.translated("complete multipart upload", self.bucket, self.key):
                self.client.complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id,
                                                      MultipartUpload={"Parts": parts})
            return size
        except BaseException:
            self._abort(upload_id)
            raise

    def _parts(self, fileobj, upload_id: str, chunk: bytes) -> tuple[list[dict], int]:
        done: list[dict] = []
        pending: dict[Future, int] = {}
        number, size = 1, 0
        with ThreadPoolExecutor(self.plan.concurrency, thread_name_prefix="upload-part") as pool:
            try:
                while chunk:
                    if number > self.plan.max_parts:
                        raise ObjectTooLarge(f"s3://{self.bucket}/{self.key}: more than {size} bytes do not fit "
                                             f"in {self.plan.max_parts} parts")
                    while pending and sum(pending.values()) + len(chunk) > self.plan.budget:
                        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                        done.extend(f.result() for f in finished)
                        for future in finished:
                            del pending[future]
                    pending[pool.submit(self._part, upload_id, number, chunk)] = len(chunk)
                    number, size = number + 1, size + len(chunk)
                    chunk = read_full(fileobj, self.plan.size(number))
                done.extend(f.result() for f in wait(pending)[0])
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        return sorted(done, key=lambda p: p["PartNumber"]), size

    def _part(self, upload_id: str, number: int, chunk: bytes) -> dict:
        with self.translated("upload part", self.bucket, self.key):
            resp = self.client.upload_part(Bucket=self.bucket, Key=self.key, UploadId=upload_id,
                                           PartNumber=number, Body=chunk)
        return {"PartNumber": number, "ETag": resp["ETag"]}

    def _abort(self, upload_id: str) -> None:
        try:
            with self.translated("abort multipart upload", self.bucket, self.key):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id)
        except Exception:  # noqa: BLE001 - the failure that caused the abort is the one to report
            log.exception("aborting the multipart upload of s3://%s/%s failed", self.bucket, self.key)


def chunks(body, translated: Translated, bucket: str, key: str, chunk_size: int) -> Iterator[bytes]:
    """A get_object body, chunk by chunk; closed at the end or when the reader stops."""
    try:
        with translated("get", bucket, key):
            yield from body.iter_chunks(chunk_size)
    finally:
        body.close()
