"""The image service through the running API and the real Swift: an upload made
active with its hash and sizes, each hostile or broken upload killed with a reason
and nothing left in the bucket, the delete guards, merge patches and downloads."""
import hashlib
import socket
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

from infra.db.engine import database
from infra.db.models import Host
from operations.bootstrap import object_store
from tests import image_files as files
from tests.e2e.conftest import unique_name, wait_for

MIB = files.MIB
GIB = 1 << 30


@pytest.fixture(scope="module")
def objects(settings):
    store = object_store(settings)
    if store is None:
        pytest.fail("no object store configured: source .hostflow/openrc")
    return store


@pytest.fixture(scope="module")
def created(api):
    """Every image a test makes; deleted at the end (killed ones hold no object)."""
    ids: list[str] = []
    yield ids
    for image_id in ids:
        api.session.patch(f"{api.url}/v1/images/{image_id}", json={"protected": False}, timeout=30)
        api.delete(f"/v1/images/{image_id}")


def create(api, created, **over) -> dict:
    body = {"name": unique_name("e2e-img"), "disk_format": "qcow2", "container_format": "bare", **over}
    resp = api.post("/v1/images", body)
    assert resp.status_code == 201, resp.text
    created.append(resp.json()["image"]["id"])
    return resp.json()["image"]


def upload(api, image_id: str, path: Path):
    with open(path, "rb") as fh:
        return api.session.put(f"{api.url}/v1/images/{image_id}/file", data=fh, timeout=120,
                               headers={"Content-Type": "application/octet-stream"})


def image(api, image_id: str) -> dict:
    return api.get(f"/v1/images/{image_id}").json()["image"]


def key_of(image_id: str) -> str:
    return f"images/{image_id}"


def nothing_stored(objects, settings, image_id: str) -> bool:
    pending = objects.client.list_multipart_uploads(Bucket=settings.image_bucket, Prefix=key_of(image_id))
    return objects.head(settings.image_bucket, key_of(image_id)) is None and not pending.get("Uploads")


def test_an_uploaded_qcow2_is_active_stored_and_downloadable(api, created, objects, settings, tmp_path):
    path = files.qcow2_with_data(tmp_path / "disk.qcow2", 40 * MIB, b"e2e image " * 3_000_000)
    digest = hashlib.sha512(path.read_bytes()).hexdigest()
    record = create(api, created, properties={"os_distro": "hostflow"})
    resp = upload(api, record["id"], path)
    assert resp.status_code == 200, resp.text
    active = image(api, record["id"])
    assert active["status"] == "active" and active["status_reason"] is None
    assert (active["os_hash_algo"], active["os_hash_value"]) == ("sha512", digest)
    assert (active["size"], active["virtual_size"]) == (path.stat().st_size, 40 * MIB)
    assert active["location"] == f"s3://{settings.image_bucket}/{key_of(record['id'])}"
    assert objects.head(settings.image_bucket, key_of(record["id"]))["size"] == path.stat().st_size
    download = api.session.get(f"{api.url}/v1/images/{record['id']}/file", stream=True, timeout=60)
    assert download.status_code == 200
    assert download.headers["Content-Length"] == str(path.stat().st_size)
    assert download.headers["X-Image-Sha512"] == digest
    assert hashlib.sha512(download.raw.read()).hexdigest() == digest


def hostile(kind: str, tmp: Path, limit: int) -> Path:
    host_file = Path("/etc/passwd")
    return {
        "mismatch": lambda: files.image(tmp / "disk.qcow2", "qcow2"),
        "backing_file": lambda: files.qcow2_with_backing(tmp / "evil.qcow2", host_file),
        "data_file": lambda: files.qcow2_with_data_file(tmp / "evil.qcow2", tmp / "host-data.raw"),
        "vmdk_extent": lambda: files.vmdk_flat_extent(tmp / "evil.vmdk", host_file),
        "multiple_formats": lambda: files.qcow2_and_mbr(tmp / "both.qcow2"),
        "virtual_size_too_large": lambda: files.image(tmp / "huge.qcow2", "qcow2", limit + GIB),
        "iso_with_qcow2": lambda: files.iso_with_qcow2(tmp / "evil.iso", tmp),
    }[kind]()


@pytest.mark.parametrize("kind, declared, reason", [
    ("mismatch", "raw", "format_mismatch"),
    ("backing_file", "qcow2", "backing_file"),
    ("data_file", "qcow2", "data_file"),
    ("vmdk_extent", "vmdk", "vmdk_extent"),
    ("multiple_formats", "qcow2", "multiple_formats"),
    ("virtual_size_too_large", "qcow2", "virtual_size_too_large"),
    ("iso_with_qcow2", "iso", "iso_with_qcow2"),
])
def test_a_hostile_upload_is_killed_with_its_reason_and_nothing_stored(api, created, objects, settings, tmp_path,
                                                                         kind, declared, reason):
    path = hostile(kind, tmp_path, settings.max_image_virtual_gb * GIB)
    record = create(api, created, disk_format=declared)
    resp = upload(api, record["id"], path)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == "image_rejected"
    assert resp.json()["error"]["details"]["reason"] == reason
    killed = image(api, record["id"])
    assert (killed["status"], killed["status_reason"]) == ("killed", reason)
    assert killed["status_message"] and killed["location"] is None and killed["os_hash_value"] is None
    assert nothing_stored(objects, settings, record["id"])


def test_an_unknown_disk_format_is_refused_at_creation(api):
    name = unique_name("e2e-img")
    resp = api.post("/v1/images", {"name": name, "disk_format": "qed", "container_format": "bare"})
    assert resp.status_code == 422 and resp.json()["error"]["details"][0]["loc"] == ["disk_format"]
    assert api.get("/v1/images", params={"name": name}).json()["images"] == []


def cut_off_upload(api, image_id: str, sent: int, chunked: bool) -> None:
    """Sends `sent` bytes of a 64 MiB body (announced by Content-Length, or chunked),
    then drops the connection."""
    url = urlparse(api.url)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {64 * MIB}"
    head = (f"PUT /v1/images/{image_id}/file HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: {api.session.headers['Authorization']}\r\n"
            f"Content-Type: application/octet-stream\r\n{framing}\r\n\r\n").encode()
    block = b"\0" * MIB
    if chunked:
        block = b"%x\r\n" % MIB + block + b"\r\n"
    with socket.create_connection((url.hostname, url.port), timeout=30) as conn:
        conn.sendall(head)
        for _ in range(sent // MIB):
            conn.sendall(block)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_cut_off_upload_is_killed_and_leaves_no_object(api, created, objects, settings, chunked):
    record = create(api, created, disk_format="raw")
    cut_off_upload(api, record["id"], sent=20 * MIB, chunked=chunked)
    # still `queued` while the API has yet to take the request up (the sent bytes may all
    # sit in socket buffers), `saving` while it reads what came
    killed = wait_for(lambda: image(api, record["id"]), "the cut-off upload's image to end", 60,
                      until=lambda got: got["status"] not in {"queued", "saving"})
    assert (killed["status"], killed["status_reason"]) == ("killed", "upload_interrupted")
    assert nothing_stored(objects, settings, record["id"])


def test_only_a_queued_image_takes_an_upload(api, created, tmp_path):
    record = create(api, created, disk_format="raw")
    path = files.random_file(tmp_path / "disk.raw", MIB)
    assert upload(api, record["id"], path).status_code == 200
    again = upload(api, record["id"], path)
    assert again.status_code == 409 and again.json()["error"]["code"] == "image_not_queued"


def test_patch_merges_and_list_filters_by_property(api, created):
    marker = uuid.uuid4().hex
    record = create(api, created, properties={"e2e_marker": marker, "drop": "me"}, min_disk_gb=1)
    resp = api.session.patch(f"{api.url}/v1/images/{record['id']}", timeout=30,
                             json={"name": record["name"] + "-x", "properties": {"drop": None, "tier": "gold"},
                                   "min_ram_mb": 256})
    assert resp.status_code == 200, resp.text
    patched = image(api, record["id"])
    assert patched["properties"] == {"e2e_marker": marker, "tier": "gold"}
    assert (patched["name"], patched["min_disk_gb"], patched["min_ram_mb"]) == (record["name"] + "-x", 1, 256)
    found = api.get("/v1/images", params={"property-e2e_marker": marker, "status": "queued"}).json()["images"]
    assert [i["id"] for i in found] == [record["id"]]
    refused = api.session.patch(f"{api.url}/v1/images/{record['id']}", json={"status": "active"}, timeout=30)
    assert refused.status_code == 422 and image(api, record["id"]) == patched


def test_a_protected_image_is_not_deleted_until_unprotected(api, created, objects, settings, tmp_path):
    record = create(api, created, disk_format="raw", protected=True)
    upload(api, record["id"], files.random_file(tmp_path / "disk.raw", MIB))
    refused = api.delete(f"/v1/images/{record['id']}")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "image_protected"
    assert image(api, record["id"])["status"] == "active"
    api.session.patch(f"{api.url}/v1/images/{record['id']}", json={"protected": False}, timeout=30)
    assert api.delete(f"/v1/images/{record['id']}").json()["image"]["status"] == "deleted"
    assert nothing_stored(objects, settings, record["id"])


def test_an_image_in_use_by_a_host_is_not_deleted(api, created, objects, settings, tmp_path):
    """The host row stands in for a booted host (booting one is the allocate tests' job);
    its env keeps the other tests' leftover reclaimer away from it."""
    record = create(api, created, disk_format="raw")
    upload(api, record["id"], files.random_file(tmp_path / "disk.raw", MIB))
    db, host_id = database(settings.database_url), str(uuid.uuid4())
    with db.session() as s:
        s.add(Host(id=host_id, name=unique_name("img-inuse"), env="imgtest", fqdn="x.imgtest", state="active",
                   image_id=record["id"], vcpus=1, ram_mb=256, disk_gb=1))
    try:
        refused = api.delete(f"/v1/images/{record['id']}")
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "image_in_use"
        assert refused.json()["error"]["details"]["hosts"] == [host_id]
        assert objects.head(settings.image_bucket, key_of(record["id"])) is not None
    finally:
        with db.session() as s:
            s.get(Host, host_id).state = "deleted"
    assert api.delete(f"/v1/images/{record['id']}").json()["image"]["status"] == "deleted"
    assert nothing_stored(objects, settings, record["id"])
