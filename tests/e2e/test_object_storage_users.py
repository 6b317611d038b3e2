"""A hypervisor node's S3 user reads images and writes only snapshots and backups
(scripts/s3_buckets.py; docs/operations.md#object-storage-users).

The node's credentials are the ones worker-hv1 was started with (/proc/<pid>/environ),
used through hostflow's own adapter against the stack's Swift; the admin's are
openrc's. That the nodes' snapshots, backups and restores still work with them is what
the rebuild and backup tests show."""
import io
import uuid

import pytest
from boto3.s3.transfer import TransferConfig

from infra.errors import StorageError
from infra.object_store import ObjectStore
from infra.settings import Settings
from operations.bootstrap import object_store
from tests.e2e.test_role_env import environ, service_pid

MIB = 1 << 20


@pytest.fixture(scope="module")
def settings_() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="module")
def admin(settings_) -> ObjectStore:
    return object_store(settings_)


@pytest.fixture(scope="module")
def node(settings_) -> ObjectStore:
    env = environ(service_pid("worker-hv1", "workers.process --role hv"))
    assert env["HOSTFLOW_S3_ACCESS_KEY"] != settings_.s3_access_key, "worker-hv1 runs with the admin's S3 user"
    return ObjectStore(env["HOSTFLOW_S3_ENDPOINT"], env["HOSTFLOW_S3_ACCESS_KEY"], env["HOSTFLOW_S3_SECRET_KEY"],
                       env.get("HOSTFLOW_S3_REGION", "us-east-1"), part_size=5 * MIB)


@pytest.fixture
def key() -> str:
    return f"e2e-users/{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def big_image(admin, settings_):
    """An image object the admin uploaded in parts (its segments in `+segments`)."""
    key, data = f"e2e-users/big-{uuid.uuid4().hex}", bytes(range(256)) * (12 * MIB // 256)
    admin.client.upload_fileobj(io.BytesIO(data), settings_.image_bucket, key,
                                Config=TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB))
    yield key, data
    admin.delete(settings_.image_bucket, key)


def test_a_node_reads_an_image_made_of_parts(node, big_image, settings_):
    key, data = big_image
    assert node.get_bytes(settings_.image_bucket, key) == data


def test_a_node_cannot_write_an_image(node, admin, settings_, key):
    with pytest.raises(StorageError) as info:
        node.put_bytes(settings_.image_bucket, key, b"not an image")
    assert info.value.code == "object_store_denied"
    assert admin.head(settings_.image_bucket, key) is None


def test_a_node_cannot_delete_an_image(node, admin, big_image, settings_):
    key, _ = big_image
    with pytest.raises(StorageError) as info:
        node.delete(settings_.image_bucket, key)
    assert info.value.code == "object_store_denied"
    assert admin.head(settings_.image_bucket, key) is not None


@pytest.mark.parametrize("bucket", ["snapshot_bucket", "backup_bucket"])
def test_a_node_writes_reads_and_deletes_in_parts_where_it_keeps_copies(node, admin, settings_, key, bucket):
    name, data = getattr(settings_, bucket), b"\x5a" * (11 * MIB)
    node.client.upload_fileobj(io.BytesIO(data), name, key, Config=node.transfer)
    assert admin.client.head_object(Bucket=name, Key=key)["ETag"].strip('"').endswith("-3")
    assert node.get_bytes(name, key) == data
    assert node.delete(name, key)
    assert admin.head(name, key) is None


def test_a_node_cannot_make_a_bucket(node, admin, settings_):
    name = f"e2e-node-{uuid.uuid4().hex[:8]}"
    with pytest.raises(StorageError) as info:
        node.ensure_bucket(name)
    assert info.value.code == "object_store_denied"
    assert name not in {b["Name"] for b in admin.client.list_buckets()["Buckets"]}
