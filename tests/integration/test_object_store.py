"""The S3 adapter and image downloads against the real Swift (s3api) of the stack."""
import hashlib
import json
import os
import time
import urllib.parse
import urllib.request
import uuid

import pytest

from infra.errors import HostflowError
from infra.image_source import ImageSource
from infra.settings import Settings

MIB = 1 << 20


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    path = tmp_path_factory.mktemp("obj") / "big.bin"
    path.write_bytes(os.urandom(20 * MIB))
    return path, hashlib.sha512(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def uploaded(objects, bucket, big):
    path, digest = big
    objects.upload_file(path, bucket, digest, metadata={"sha512": digest})
    return f"s3://{bucket}/{digest}", digest


def test_ensure_bucket_is_already_done_the_second_time(objects, bucket):
    assert not objects.ensure_bucket(bucket)


def test_large_upload_is_multipart(objects, bucket, uploaded):
    _, digest = uploaded
    etag = objects.client.head_object(Bucket=bucket, Key=digest)["ETag"]
    assert etag.strip('"').endswith("-3")
    assert objects.head(bucket, digest) == {"size": 20 * MIB, "metadata": {"sha512": digest}}


def test_fetch_downloads_and_verifies(objects, uploaded, big, tmp_path):
    location, digest = uploaded
    dest = tmp_path / "cached.img"
    ImageSource(objects).fetch(location, dest, digest, "raw")
    assert dest.read_bytes() == big[0].read_bytes()


def test_fetch_with_bad_checksum_leaves_no_cache_entry(objects, uploaded, tmp_path):
    location, _ = uploaded
    dest = tmp_path / "cached.img"
    with pytest.raises(HostflowError) as info:
        ImageSource(objects).fetch(location, dest, "0" * 128, "raw")
    assert info.value.code == "image_checksum_mismatch"
    assert list(tmp_path.iterdir()) == []


def test_fetch_of_a_missing_object_is_a_clear_error(objects, bucket, tmp_path):
    with pytest.raises(HostflowError) as info:
        ImageSource(objects).fetch(f"s3://{bucket}/nothing-here", tmp_path / "x", "0" * 128, "raw")
    assert info.value.code == "object_missing"
    assert list(tmp_path.iterdir()) == []


def test_delete_is_idempotent(objects, bucket, tmp_path):
    small = tmp_path / "s"
    small.write_bytes(b"x")
    objects.upload_file(small, bucket, "small")
    assert objects.delete(bucket, "small")
    assert not objects.delete(bucket, "small")


def segments(bucket: str, key: str) -> list[str]:
    """The parts Swift keeps for key in the bucket's `+segments` container (Swift's own
    API: S3 does not show that container)."""
    settings = Settings.from_env()
    auth = urllib.request.Request(f"{settings.s3_endpoint}/auth/v1.0", headers={
        "X-Auth-User": settings.s3_access_key, "X-Auth-Key": settings.s3_secret_key})
    with urllib.request.urlopen(auth, timeout=10) as response:
        url, token = response.headers["X-Storage-Url"], response.headers["X-Auth-Token"]
    query = urllib.parse.urlencode({"format": "json", "prefix": key + "/"})
    listing = urllib.request.Request(f"{url}/{urllib.parse.quote(bucket + '+segments')}?{query}",
                                     headers={"X-Auth-Token": token})
    with urllib.request.urlopen(listing, timeout=10) as response:
        return [item["name"] for item in json.loads(response.read() or b"[]")]


def test_deleting_a_multipart_object_deletes_its_parts_soon_after(objects, bucket, big):
    """The object at once; its parts within seconds, by the stack's object expirer."""
    path, _ = big
    objects.upload_file(path, bucket, "parts")
    assert len(segments(bucket, "parts")) == 3
    assert objects.delete(bucket, "parts")
    assert objects.head(bucket, "parts") is None
    deadline = time.monotonic() + 60
    while segments(bucket, "parts") and time.monotonic() < deadline:
        time.sleep(1)
    assert segments(bucket, "parts") == []


def test_registering_an_image_dir_uploads_each_file_once(objects, tmp_path):
    from api.manage import register_image_dir
    from infra.db import migrate
    from tests.unit.test_register_images import build

    url = f"sqlite:///{tmp_path / 'reg.db'}"
    migrate.upgrade(url)
    bucket = f"hostflow-test-{uuid.uuid4().hex[:8]}"
    settings = Settings.from_env({**os.environ, "HOSTFLOW_DATABASE_URL": url, "HOSTFLOW_IMAGE_BUCKET": bucket})
    build(tmp_path / "img", os.urandom(1000))
    image = register_image_dir(settings, tmp_path / "img")
    try:
        assert image["location"] == f"s3://{bucket}/{image['os_hash_value']}"
        assert objects.head(bucket, image["os_hash_value"])["size"] == 1000
        assert register_image_dir(settings, tmp_path / "img")["id"] == image["id"]
    finally:
        for item in objects.client.list_objects_v2(Bucket=bucket).get("Contents", []):
            objects.delete(bucket, item["Key"])
        objects.client.delete_bucket(Bucket=bucket)
