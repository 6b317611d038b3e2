"""Object storage through the S3 API (boto3): Swift's s3api here; AWS S3, Ceph RGW
or MinIO unchanged. botocore errors become StorageError here and nowhere else."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from infra.errors import NotFound, StorageError
from infra.object_stream import PartPlan, StreamUpload, chunks


class ObjectMissing(NotFound):
    code = "object_missing"


@contextmanager
def _translated(action: str, bucket: str, key: str = ""):
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in {"404", "NoSuchKey", "NoSuchBucket", "NotFound"}:
            raise ObjectMissing(f"s3://{bucket}/{key} does not exist") from exc
        if code in {"403", "AccessDenied"}:
            raise StorageError(f"object store {action} s3://{bucket}/{key}: refused to these credentials",
                               code="object_store_denied") from exc
        raise StorageError(f"object store {action} s3://{bucket}/{key}: {exc}", code="object_store_error") from exc
    except BotoCoreError as exc:
        raise StorageError(f"object store {action} s3://{bucket}/{key}: {exc}",
                           code="object_store_unavailable") from exc


def parse_location(location: str) -> tuple[str, str]:
    bucket, _, key = location.removeprefix("s3://").partition("/")
    return bucket, key


class ObjectStore:
    def __init__(self, endpoint: str, access_key: str, secret_key: str, region: str = "us-east-1",
                 part_size: int = 8 << 20):
        config = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required",
                        retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60)
        self.client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access_key,
                                   aws_secret_access_key=secret_key, region_name=region, config=config)
        self.transfer = TransferConfig(multipart_threshold=part_size, multipart_chunksize=part_size,
                                       max_concurrency=4)

    def ensure_bucket(self, bucket: str) -> bool:
        """True if the bucket had to be created."""
        try:
            with _translated("head bucket", bucket):
                self.client.head_bucket(Bucket=bucket)
            return False
        except ObjectMissing:
            with _translated("create bucket", bucket):
                self.client.create_bucket(Bucket=bucket)
            return True

    def head(self, bucket: str, key: str) -> dict | None:
        try:
            with _translated("head", bucket, key):
                meta = self.client.head_object(Bucket=bucket, Key=key)
        except ObjectMissing:
            return None
        return {"size": meta["ContentLength"], "metadata": meta.get("Metadata", {})}

    def upload_file(self, path: Path, bucket: str, key: str, metadata: dict | None = None) -> None:
        """Multipart above the part size; an interrupted upload leaves no object."""
        extra = {"Metadata": metadata} if metadata else None
        with _translated("upload", bucket, key):
            self.client.upload_file(str(path), bucket, key, ExtraArgs=extra, Config=self.transfer)

    def download_file(self, bucket: str, key: str, dest: Path) -> None:
        with _translated("download", bucket, key):
            self.client.download_file(bucket, key, str(dest), Config=self.transfer)

    def put_bytes(self, bucket: str, key: str, data: bytes, metadata: dict | None = None) -> None:
        """One PUT: the object appears whole or not at all."""
        with _translated("put", bucket, key):
            self.client.put_object(Bucket=bucket, Key=key, Body=data, Metadata=metadata or {})

    def get_bytes(self, bucket: str, key: str) -> bytes:
        with _translated("get", bucket, key):
            return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()

    def keys(self, bucket: str, prefix: str) -> list[str]:
        found: list[str] = []
        with _translated("list", bucket, prefix):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                found.extend(item["Key"] for item in page.get("Contents", []))
        return found

    def objects(self, bucket: str, prefix: str = "") -> list[dict]:
        """Each object under prefix: {"key", "size", "modified"} (an aware datetime)."""
        found: list[dict] = []
        with _translated("list", bucket, prefix):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                found.extend({"key": item["Key"], "size": item["Size"], "modified": item["LastModified"]}
                             for item in page.get("Contents", []))
        return found

    def delete_keys(self, bucket: str, keys: list[str]) -> None:
        """Deletes up to 1000 objects per request; absent ones are no error."""
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start:start + 1000]]
            with _translated("delete objects", bucket, keys[start]):
                result = self.client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
            if result.get("Errors"):
                first = result["Errors"][0]
                raise StorageError(f"object store delete s3://{bucket}/{first.get('Key')}: {first.get('Message')}",
                                   code="object_store_error")

    def abort_uploads(self, bucket: str, prefix: str) -> int:
        """Aborts unfinished multipart uploads under prefix (their parts go with them)."""
        with _translated("list multipart uploads", bucket, prefix):
            uploads = self.client.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])
        for upload in uploads:
            with _translated("abort multipart upload", bucket, upload["Key"]):
                self.client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        return len(uploads)

    def delete(self, bucket: str, key: str) -> bool:
        """Deleting an object that is already gone is success (returns False)."""
        if self.head(bucket, key) is None:
            return False
        with _translated("delete", bucket, key):
            self.client.delete_object(Bucket=bucket, Key=key)
        return True

    def upload_stream(self, fileobj, bucket: str, key: str, before_complete=None, plan=None) -> int:
        """Streams a file-like object of unknown length into one object and returns its
        size: a multipart upload of growing parts, several in flight; see PartPlan."""
        return StreamUpload(self.client, _translated, bucket, key, plan or PartPlan()).run(fileobj, before_complete)

    def open_stream(self, bucket: str, key: str, chunk_size: int = 1 << 20):
        """(size, iterator of chunks) of an object, read as the iterator is consumed."""
        with _translated("get", bucket, key):
            resp = self.client.get_object(Bucket=bucket, Key=key)
        return resp["ContentLength"], chunks(resp["Body"], _translated, bucket, key, chunk_size)
