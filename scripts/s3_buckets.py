"""Make the stack's buckets and give the hypervisor nodes' S3 user exactly its share
of them (idempotent; scripts/stack.sh runs it as the 's3-buckets' step of 'up').

    HOSTFLOW_S3_NODE_USER=test:node .venv/bin/python scripts/s3_buckets.py

The node user is no admin of the Swift account (scripts/swift_config.py), so what it
may do is what the containers' ACLs say:

    image bucket              read           (nodes fetch images)
    snapshot, backup buckets  read and write (nodes upload snapshots and backups)

and the same on each bucket's `+segments` container, where s3api keeps multipart
uploads' parts: reading a large object reads its segments, and a node cannot create
a container, so they exist before the first upload. The API and the control plane
keep the admin credentials (image uploads and deletions, backup deletions).

S3 has no call for Swift's container ACLs: this uses Swift's own API on the same
proxy, with a tempauth token for the admin credentials (HOSTFLOW_S3_ACCESS_KEY/
HOSTFLOW_S3_SECRET_KEY)."""
from __future__ import annotations

import os
import sys
import urllib.request

from infra.settings import Settings

SEGMENTS = "+segments"


def grants(settings: Settings, node_user: str) -> dict[str, dict[str, str]]:
    read, read_write = {"X-Container-Read": node_user}, {"X-Container-Read": node_user, "X-Container-Write": node_user}
    table = {settings.image_bucket: read, settings.snapshot_bucket: read_write, settings.backup_bucket: read_write}
    return {name: acl for bucket, acl in table.items() for name in (bucket, bucket + SEGMENTS)}


def swift_token(settings: Settings) -> tuple[str, str]:
    """(storage URL, token) from tempauth's v1.0 auth."""
    request = urllib.request.Request(f"{settings.s3_endpoint}/auth/v1.0", headers={
        "X-Auth-User": settings.s3_access_key, "X-Auth-Key": settings.s3_secret_key})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["X-Storage-Url"], response.headers["X-Auth-Token"]


def put_container(storage_url: str, token: str, name: str, acl: dict[str, str]) -> int:
    """PUT makes the container, or sets the ACL headers of the one there."""
    request = urllib.request.Request(f"{storage_url}/{urllib.request.quote(name)}", method="PUT",
                                     headers={"X-Auth-Token": token, **acl})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def main() -> int:
    settings, node_user = Settings.from_env(), os.environ["HOSTFLOW_S3_NODE_USER"]
    storage_url, token = swift_token(settings)
    for name, acl in grants(settings, node_user).items():
        status = put_container(storage_url, token, name, acl)
        print(f"s3-buckets: {name}: {'made' if status == 201 else 'kept'}, "
              f"{node_user} may {'read and write' if 'X-Container-Write' in acl else 'read'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
