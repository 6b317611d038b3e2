"""Streaming uploads and downloads against the real Swift (s3api) of the stack: an
upload that fails for any reason leaves neither an object nor a pending multipart upload."""
import hashlib
import io
import os

import pytest

from infra.object_store import ObjectMissing
from infra.object_stream import ObjectTooLarge, PartPlan

MIB = 1 << 20


class Trickle:
    """A stream that hands out fewer bytes than asked, as a socket does, and may break."""

    def __init__(self, data: bytes, fail_after: int | None = None):
        self.src, self.fail_after, self.given = io.BytesIO(data), fail_after, 0

    def read(self, size: int) -> bytes:
        if self.fail_after is not None and self.given >= self.fail_after:
            raise ConnectionResetError("client went away")
        chunk = self.src.read(min(size, 300_001))
        self.given += len(chunk)
        return chunk


def pending_uploads(objects, bucket) -> list:
    return objects.client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def read_back(objects, bucket, key) -> bytes:
    size, chunks = objects.open_stream(bucket, key)
    data = b"".join(chunks)
    assert len(data) == size
    return data


def test_a_long_stream_becomes_one_multipart_object(objects, bucket):
    data = os.urandom(40 * MIB + 3)
    assert objects.upload_stream(Trickle(data), bucket, "long") == len(data)
    assert objects.client.head_object(Bucket=bucket, Key="long")["ETag"].strip('"').endswith("-3")
    assert hashlib.sha512(read_back(objects, bucket, "long")).digest() == hashlib.sha512(data).digest()
    assert pending_uploads(objects, bucket) == []


def test_a_short_stream_is_one_put(objects, bucket):
    assert objects.upload_stream(Trickle(b"tiny"), bucket, "short") == 4
    assert read_back(objects, bucket, "short") == b"tiny"


def test_a_broken_stream_leaves_nothing(objects, bucket):
    with pytest.raises(ConnectionResetError):
        objects.upload_stream(Trickle(os.urandom(30 * MIB), fail_after=17 * MIB), bucket, "broken")
    assert objects.head(bucket, "broken") is None
    assert pending_uploads(objects, bucket) == []


@pytest.mark.parametrize("size", [MIB, 40 * MIB])
def test_a_refusal_before_completion_leaves_nothing(objects, bucket, size):
    def refuse():
        raise ValueError("inspection says no")

    with pytest.raises(ValueError):
        objects.upload_stream(Trickle(os.urandom(size)), bucket, f"refused-{size}", before_complete=refuse)
    assert objects.head(bucket, f"refused-{size}") is None
    assert pending_uploads(objects, bucket) == []


def test_opening_a_missing_object_is_a_clear_error(objects, bucket):
    with pytest.raises(ObjectMissing):
        objects.open_stream(bucket, "nothing-here")


def test_parts_grow_so_a_large_stream_fits_the_part_limit(objects, bucket):
    plan = PartPlan(first=5 * MIB, concurrency=2, max_parts=5)  # parts of 5, 10, 20, 40, 80 MiB
    data = os.urandom(40 * MIB)
    assert objects.upload_stream(Trickle(data), bucket, "grown", plan=plan) == len(data)
    assert objects.client.head_object(Bucket=bucket, Key="grown")["ETag"].strip('"').endswith("-4")
    assert read_back(objects, bucket, "grown") == data


def test_a_stream_past_the_part_limit_is_refused_and_leaves_nothing(objects, bucket):
    plan = PartPlan(first=5 * MIB, concurrency=1, max_parts=2)  # at most 5 + 10 MiB
    with pytest.raises(ObjectTooLarge):
        objects.upload_stream(Trickle(os.urandom(20 * MIB)), bucket, "too-large", plan=plan)
    assert objects.head(bucket, "too-large") is None
    assert pending_uploads(objects, bucket) == []
