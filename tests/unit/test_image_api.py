"""The image API with an in-memory object store: records, states, merge patches, the
delete guards, and uploads accepted or killed (the real Swift is in tests/e2e)."""
import hashlib
import json
import uuid

import pytest

from flows import allocate_host
from flows.kinds.hosts import allocate_context
from infra.db.models import Host
from infra.object_stream import read_full
from tests import image_files as files

MIB = files.MIB


class MemoryStore:
    """Stands in for ObjectStore: an object exists only once its upload completed."""

    part_size = 256 << 10

    def __init__(self):
        self.objects: dict[tuple[str, str], bytes] = {}

    def ensure_bucket(self, bucket):
        return False

    def upload_stream(self, fileobj, bucket, key, before_complete=None):
        parts = []
        while part := read_full(fileobj, self.part_size):
            parts.append(part)
        if before_complete:
            before_complete()
        self.objects[(bucket, key)] = b"".join(parts)
        return len(self.objects[(bucket, key)])

    def delete(self, bucket, key):
        return self.objects.pop((bucket, key), None) is not None

    def open_stream(self, bucket, key, chunk_size=1 << 20):
        data = self.objects[(bucket, key)]
        return len(data), iter([data[i:i + 1000] for i in range(0, len(data), 1000)])


@pytest.fixture
def store(monkeypatch):
    memory = MemoryStore()
    monkeypatch.setattr("operations.image_upload.object_store", lambda settings: memory)
    return memory


def call(client, method, path, body=None, token=None, **kw):
    headers = {"Authorization": f"Bearer {token or client.admin}", "Idempotency-Key": str(uuid.uuid4())}
    if body is not None:
        kw["data"], headers["Content-Type"] = json.dumps(body), "application/json"
    return client.open(path, method=method, headers=headers, **kw)


def create(client, **over):
    body = {"name": "disk", "disk_format": "qcow2", "container_format": "bare", **over}
    resp = call(client, "POST", "/v1/images", body)
    assert resp.status_code == 201, resp.json
    return resp.json["image"]


def put_file(client, image_id, data: bytes, **kw):
    return client.put(f"/v1/images/{image_id}/file", data=data, **kw,
                      headers={"Authorization": f"Bearer {client.admin}", "Content-Type": "application/octet-stream"})


@pytest.fixture
def qcow2(tmp_path):
    return files.qcow2_with_data(tmp_path / "disk.qcow2", 16 * MIB).read_bytes()


def test_create_records_a_queued_image(api):
    image = create(api, min_disk_gb=2, min_ram_mb=128, properties={"os_distro": "debian"})
    assert image["status"] == "queued" and image["size"] is None and image["location"] is None
    assert (image["min_disk_gb"], image["min_ram_mb"], image["protected"]) == (2, 128, False)
    assert call(api, "GET", f"/v1/images/{image['id']}").json["image"] == image


@pytest.mark.parametrize("over, field", [
    ({"disk_format": "qed"}, "disk_format"), ({"container_format": "docker"}, "container_format"),
    ({"min_disk_gb": -1}, "min_disk_gb"), ({"properties": {"bad key": "x"}}, "properties"),
    ({"owner": "me"}, "owner"), ({"name": ""}, "name"),
])
def test_create_refuses_bad_fields_and_records_nothing(api, over, field):
    before = call(api, "GET", "/v1/images").json["images"]
    resp = call(api, "POST", "/v1/images", {"name": "d", "disk_format": "raw", "container_format": "bare", **over})
    assert resp.status_code == 422 and resp.json["error"]["code"] == "invalid_request"
    assert resp.json["error"]["details"][0]["loc"][0] == field
    assert call(api, "GET", "/v1/images").json["images"] == before


def test_a_read_only_token_may_not_create(api):
    body = {"name": "d", "disk_format": "raw", "container_format": "bare"}
    assert call(api, "POST", "/v1/images", body, token=api.viewer).status_code == 403


def test_kernel_and_ramdisk_must_be_aki_and_ari_images_of_an_ami(api):
    kernel, disk = create(api, disk_format="aki", container_format="aki"), create(api)
    base = {"name": "m", "disk_format": "ami", "container_format": "ami"}
    wrong_kind = call(api, "POST", "/v1/images", {**base, "kernel_id": disk["id"]})
    assert wrong_kind.status_code == 422 and wrong_kind.json["error"]["code"] == "invalid_boot_image"
    not_ami = call(api, "POST", "/v1/images", {**base, "disk_format": "qcow2", "container_format": "bare",
                                               "kernel_id": kernel["id"]})
    assert not_ami.json["error"]["code"] == "boot_image_needs_ami"
    missing = call(api, "POST", "/v1/images", {**base, "ramdisk_id": "nope"})
    assert missing.status_code == 422 and missing.json["error"]["code"] == "unknown_image"
    assert create(api, **base, kernel_id=kernel["id"])["kernel_id"] == kernel["id"]


def test_an_upload_makes_the_image_active_with_its_hash_and_sizes(api, store, qcow2):
    image = create(api)
    resp = put_file(api, image["id"], qcow2)
    assert resp.status_code == 200, resp.json
    done = resp.json["image"]
    assert done["status"] == "active" and done["status_reason"] is None
    assert (done["size"], done["virtual_size"]) == (len(qcow2), 16 * MIB)
    assert (done["os_hash_algo"], done["os_hash_value"]) == ("sha512", hashlib.sha512(qcow2).hexdigest())
    assert done["location"] == f"s3://hostflow-images/images/{image['id']}"
    assert store.objects[("hostflow-images", f"images/{image['id']}")] == qcow2


def test_a_refused_upload_kills_the_image_and_stores_nothing(api, store, qcow2):
    image = create(api, disk_format="raw")
    resp = put_file(api, image["id"], qcow2)
    assert resp.status_code == 422 and resp.json["error"]["details"]["reason"] == "format_mismatch"
    killed = call(api, "GET", f"/v1/images/{image['id']}").json["image"]
    assert (killed["status"], killed["status_reason"]) == ("killed", "format_mismatch")
    assert "qcow2" in killed["status_message"] and killed["location"] is None
    assert store.objects == {}


def test_an_image_over_the_virtual_size_limit_is_killed(api, store, tmp_path):
    huge = files.image(tmp_path / "huge.qcow2", "qcow2", 65 << 30).read_bytes()
    image = create(api)
    assert put_file(api, image["id"], huge).json["error"]["details"]["reason"] == "virtual_size_too_large"
    assert call(api, "GET", f"/v1/images/{image['id']}").json["image"]["status"] == "killed"
    assert store.objects == {}


def test_a_cut_off_upload_kills_the_image(api, store, qcow2):
    image = create(api)
    resp = put_file(api, image["id"], qcow2[:len(qcow2) // 2], environ_overrides={"CONTENT_LENGTH": str(len(qcow2))})
    assert resp.status_code == 400 and resp.json["error"]["code"] == "upload_interrupted"
    killed = call(api, "GET", f"/v1/images/{image['id']}").json["image"]
    assert (killed["status"], killed["status_reason"]) == ("killed", "upload_interrupted")
    assert store.objects == {}


def test_an_empty_upload_is_refused(api, store):
    image = create(api, disk_format="raw")
    assert put_file(api, image["id"], b"").json["error"]["details"]["reason"] == "empty"
    assert store.objects == {}


def test_only_a_queued_image_takes_an_upload(api, store, qcow2):
    image = create(api)
    put_file(api, image["id"], qcow2)
    again = put_file(api, image["id"], qcow2)
    assert again.status_code == 409 and again.json["error"]["code"] == "image_not_queued"
    assert call(api, "GET", f"/v1/images/{image['id']}").json["image"]["status"] == "active"


def test_download_streams_the_bytes_back_with_their_hash(api, store, qcow2):
    image = create(api)
    queued = call(api, "GET", f"/v1/images/{image['id']}/file")
    assert queued.status_code == 409 and queued.json["error"]["code"] == "image_not_active"
    put_file(api, image["id"], qcow2)
    resp = call(api, "GET", f"/v1/images/{image['id']}/file")
    assert resp.status_code == 200 and resp.data == qcow2
    assert resp.headers["Content-Length"] == str(len(qcow2))
    assert resp.headers["X-Image-Sha512"] == hashlib.sha512(qcow2).hexdigest()


def test_list_filters(api):
    a = create(api, name="a", properties={"os": "debian", "tier": "gold"})
    b = create(api, name="b", disk_format="raw", properties={"os": "debian"})

    def names(query):
        resp = call(api, "GET", f"/v1/images?{query}")
        assert resp.status_code == 200, resp.json
        return sorted(i["name"] for i in resp.json["images"])

    assert names("name=a") == ["a"]
    assert names("disk_format=raw") == ["b"]
    assert names("property-os=debian") == ["a", "b"]
    assert names("property-os=debian&property-tier=gold") == ["a"]
    assert names("status=queued") == ["a", "b"]
    call(api, "DELETE", f"/v1/images/{b['id']}")
    assert names("property-os=debian") == ["a"] and names("status=deleted") == ["b"]
    assert a["id"] in {i["id"] for i in call(api, "GET", "/v1/images").json["images"]}
    bad = call(api, "GET", "/v1/images?colour=red")
    assert bad.status_code == 422 and bad.json["error"]["code"] == "unknown_filter"


def test_patch_merges(api):
    image = create(api, properties={"os": "debian", "old": "x"})
    resp = call(api, "PATCH", f"/v1/images/{image['id']}",
                {"name": "renamed", "properties": {"old": None, "tier": "gold"}, "min_ram_mb": 512, "protected": True})
    assert resp.status_code == 200, resp.json
    patched = resp.json["image"]
    assert patched["properties"] == {"os": "debian", "tier": "gold"}
    assert (patched["name"], patched["min_ram_mb"], patched["min_disk_gb"], patched["protected"]) == \
        ("renamed", 512, 0, True)
    assert patched["updated_at"] is not None


@pytest.mark.parametrize("body", [{"name": None}, {"status": "active"}, {"min_disk_gb": "1"},
                                  {"protected": "yes"}, {"disk_format": "raw"}])
def test_patch_refuses_what_may_not_change(api, body):
    image = create(api)
    resp = call(api, "PATCH", f"/v1/images/{image['id']}", body)
    assert resp.status_code == 422
    assert call(api, "GET", f"/v1/images/{image['id']}").json["image"] == image


def test_a_protected_image_is_not_deleted(api):
    image = create(api, protected=True)
    resp = call(api, "DELETE", f"/v1/images/{image['id']}")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "image_protected"
    assert call(api, "GET", f"/v1/images/{image['id']}").json["image"]["status"] == "queued"


def test_an_image_in_use_by_a_host_is_not_deleted(api, store, qcow2):
    image = create(api)
    put_file(api, image["id"], qcow2)
    with api.svc.operations.db.session() as s:
        s.add(Host(id="h1", name="web1", env="test", fqdn="web1.test", state="active", hypervisor="hv1",
                   image_id=image["id"], vcpus=1, ram_mb=256, disk_gb=1))
    resp = call(api, "DELETE", f"/v1/images/{image['id']}")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "image_in_use"
    assert resp.json["error"]["details"]["hosts"] == ["h1"]
    assert len(store.objects) == 1
    api.svc.hosts.update("h1", state="deleted")
    assert call(api, "DELETE", f"/v1/images/{image['id']}").json["image"]["status"] == "deleted"
    assert store.objects == {}


def test_a_kernel_of_an_image_in_use_is_in_use(api):
    kernel = create(api, disk_format="aki", container_format="aki")
    machine = create(api, name="m", disk_format="ami", container_format="ami", kernel_id=kernel["id"])
    with api.svc.operations.db.session() as s:
        s.add(Host(id="h1", name="web1", env="test", fqdn="web1.test", state="active", hypervisor="hv1",
                   image_id=machine["id"], vcpus=1, ram_mb=256, disk_gb=1))
    assert call(api, "DELETE", f"/v1/images/{kernel['id']}").json["error"]["code"] == "image_in_use"


def test_delete_is_repeatable(api, store, qcow2):
    image = create(api)
    put_file(api, image["id"], qcow2)
    first = call(api, "DELETE", f"/v1/images/{image['id']}")
    again = call(api, "DELETE", f"/v1/images/{image['id']}")
    assert first.status_code == again.status_code == 200
    assert again.json["image"]["status"] == "deleted" and store.objects == {}
    patch = call(api, "PATCH", f"/v1/images/{image['id']}", {"name": "x"})
    assert patch.status_code == 409 and patch.json["error"]["code"] == "image_deleted"


def test_a_host_is_not_allocated_from_an_image_that_is_not_active(api):
    image = create(api)
    body = {"name": "web1", "env": "test", "image": image["id"], "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}
    resp = call(api, "POST", "/v1/hosts", body)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "image_not_active"
    assert api.svc.hosts.list() == []


@pytest.mark.parametrize("disk_format", ["aki", "ari"])
def test_a_host_is_not_allocated_from_an_image_that_cannot_boot_on_its_own(api, disk_format):
    image = api.svc.images.add(name=f"k-{disk_format}", disk_format=disk_format, status="active",
                               os_hash_value="00", location="/nowhere")
    body = {"name": "web1", "env": "test", "image": image["id"], "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}
    for query in ("", "?dry_run=true"):
        resp = call(api, "POST", f"/v1/hosts{query}", body)
        assert resp.status_code == 422 and resp.json["error"]["code"] == "image_not_bootable", resp.json
        assert resp.json["error"]["details"] == {"disk_format": disk_format}
    assert api.svc.hosts.list() == [] and api.svc.operations.list()[0] == []


def test_a_host_allocated_from_an_iso_boots_its_cdrom_beside_a_blank_root_disk(api):
    image = api.svc.images.add(name="live", disk_format="iso", status="active", os_hash_value="00", location="/x")
    body = {"name": "web1", "env": "test", "image": image["id"], "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}}
    assert call(api, "POST", "/v1/hosts?dry_run=true", body).status_code == 200
    host = {"id": "h1", "name": "web1", "project": "p", "flavor": body["flavor"], "ssh_keys": [], "image": image["id"]}
    ctx = allocate_context({"id": "op"}, host, api.svc.images, api.svc.settings)
    assert "base" not in allocate_host._disk_request(ctx)
    lease = {"network": "vm", "mac": "52:54:00:00:00:01", "cidr": "10.0.0.5/24"}
    assert allocate_host._domain_request({**ctx, "leases": [lease]})["boot"] == {"cdrom": ctx["root_image"]}


def test_unknown_image_is_404(api):
    resp = call(api, "GET", "/v1/images/nope")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "image_not_found"


def test_openapi_documents_the_image_service(api):
    paths = api.get("/v1/openapi.json").json["paths"]
    assert set(paths["/v1/images"]) == {"get", "post"}
    assert {"get", "patch", "delete"} <= set(paths["/v1/images/{id}"])
    assert {"get", "put"} <= set(paths["/v1/images/{id}/file"])
