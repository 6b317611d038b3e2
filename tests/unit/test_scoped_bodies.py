"""A project-scoped (operator) token's request is scoped by the ids its path and its JSON
body name (api.scoping): only a body sent as JSON is read for them, and never the image
upload's stream, which the upload route reads itself."""
import json

import pytest

from infra.db.models import Host, Volume
from infra.db.tokens import TokenStore
from tests import image_files as files
from tests.unit.test_image_api import MemoryStore


@pytest.fixture
def store(monkeypatch):
    memory = MemoryStore()
    monkeypatch.setattr("operations.image_upload.object_store", lambda settings: memory)
    return memory


@pytest.fixture
def operator(api):
    return TokenStore(api.svc.operations.db).create("op-default", "operator", ["default"])


def test_an_operator_uploads_the_image_it_created_and_it_becomes_active(api, store, operator, tmp_path):
    auth = {"Authorization": f"Bearer {operator}"}
    created = api.post("/v1/images", json={"name": "disk", "disk_format": "qcow2", "container_format": "bare"},
                       headers=auth)
    assert created.status_code == 201, created.json
    qcow2 = files.qcow2_with_data(tmp_path / "disk.qcow2", 16 * files.MIB).read_bytes()
    resp = api.put(f"/v1/images/{created.json['image']['id']}/file", data=qcow2,
                   headers={**auth, "Content-Type": "application/octet-stream"})
    assert resp.status_code == 200, resp.json
    assert resp.json["image"]["status"] == "active" and resp.json["image"]["size"] == len(qcow2)


def test_an_operators_json_body_sent_as_another_type_is_415_and_not_acted_on(api, operator):
    """The scope check reads only a JSON body for ids, so no route may read another as
    JSON: here another project's volume would have been attached unchecked."""
    with api.svc.operations.db.session() as s:
        s.add(Host(id="h1", name="web1", env="test", project="default", fqdn="web1.test", state="active",
                   hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1))
        s.add(Volume(id="v-theirs", name="data", env="test", project="other", size_gb=1, state="available",
                     hypervisor="hv1"))
    resp = api.post("/v1/hosts/h1/volumes", data=json.dumps({"volume_id": "v-theirs"}),
                    headers={"Authorization": f"Bearer {operator}", "Content-Type": "text/plain"})
    assert (resp.status_code, resp.json["error"]["code"]) == (415, "unsupported_media_type")
    assert api.svc.operations.list()[1] == 0 and api.svc.volumes.get("v-theirs")["state"] == "available"
