"""Request size limits (api/limits.py): a body over its route's limit is `413
request_too_large` before it is read and before any signature or token is checked, with
a Content-Length or without one (chunked); the image upload streams past them."""
import io
import json
import os
import time

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from api.limits import limit_for
from infra.settings import Settings
from tests import image_files as files
from tests.fakes import record_only
from tests.unit.test_image_api import MemoryStore
from webhooks import generic

KIB, MIB = 1 << 10, 1 << 20
WEBHOOKS = {  # route -> its limit by default
    "/v1/webhooks/generic": 64 * KIB,
    "/v1/webhooks/jira": MIB,
    "/v1/webhooks/servicenow": MIB,
    "/v1/webhooks/slack": 64 * KIB,
    "/v1/webhooks/slack/interactive": 64 * KIB,
    "/v1/webhooks/mattermost": 64 * KIB,
}
CHECKS = ("api.routes.webhooks.verify", "api.routes.tickets.verify_signature",
          "api.routes.tickets.verify_credentials", "webhooks.chat.slack.verify", "webhooks.chat.mattermost.verify",
          "api.routes.chat._form")


def chunked(client, method: str, path: str, body: bytes, headers: dict):
    """A request without Content-Length whose body the server ends (as gunicorn does a
    chunked one: `wsgi.input_terminated`)."""
    environ = EnvironBuilder(path=path, method=method, headers=headers, input_stream=io.BytesIO(body)).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.pop("HTTP_CONTENT_LENGTH", None)
    environ.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True})
    return client.open(Request(environ))


def signed(raw: bytes, secret: str = "s3cret") -> dict:
    stamp = str(int(time.time()))
    return {generic.TIMESTAMP_HEADER: stamp, generic.SIGNATURE_HEADER: generic.signature(secret, stamp, raw),
            "Content-Type": "application/json"}


@pytest.fixture
def store(monkeypatch):
    memory = MemoryStore()
    monkeypatch.setattr("operations.image_upload.object_store", lambda settings: memory)
    return memory


@pytest.fixture
def unchecked(monkeypatch):
    """Every webhook's authentication (and the chat form's parsing) fails the test if reached."""
    def reached(*args, **kwargs):
        raise AssertionError("the body was read or its signature checked")

    for target in CHECKS:
        monkeypatch.setattr(target, reached)


@pytest.mark.parametrize("path", list(WEBHOOKS))
def test_a_webhook_body_over_its_limit_is_413_before_its_signature_is_checked(api, unchecked, path):
    resp = api.post(path, data=b"x" * (WEBHOOKS[path] + 1), content_type="application/x-www-form-urlencoded")
    assert (resp.status_code, resp.json["error"]["code"]) == (413, "request_too_large")
    assert resp.json["error"]["details"] == {"limit_bytes": WEBHOOKS[path]}


@pytest.mark.parametrize("path", list(WEBHOOKS))
def test_a_chunked_webhook_body_over_its_limit_is_413_before_its_signature_is_checked(api, unchecked, path):
    resp = chunked(api, "POST", path, b"x" * (WEBHOOKS[path] + 1), {"Content-Type": "application/json"})
    assert (resp.status_code, resp.json["error"]["code"]) == (413, "request_too_large")


def test_a_chunked_body_within_the_limit_reaches_the_route_whole(api):
    record_only(api.svc)
    raw = json.dumps({"operation": "reclaim_host", "params": {"host_id": "h-none"},
                      "padding": "x" * (64 * KIB - 200)}).encode()
    resp = chunked(api, "POST", "/v1/webhooks/generic", raw, signed(raw))
    assert resp.status_code == 422 and resp.json["error"]["code"] == "invalid_request"  # signature held; `padding`
    assert "padding" in resp.json["error"]["message"]


def test_a_json_body_over_the_request_limit_is_413_and_records_nothing(api):
    body = json.dumps({"name": "web1", "env": "test", "image": "img", "ssh_keys": ["k" * MIB],
                       "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}})
    resp = api.post("/v1/hosts", data=body, headers={"Authorization": f"Bearer {api.admin}",
                                                      "Content-Type": "application/json"})
    assert (resp.status_code, resp.json["error"]["code"]) == (413, "request_too_large")
    assert resp.json["error"]["details"] == {"limit_bytes": MIB}
    assert api.svc.hosts.list(include_deleted=True) == []


def test_a_lower_request_limit_lowers_every_routes():
    settings = Settings.from_env({"HOSTFLOW_MAX_REQUEST_BYTES": "1000"})
    assert {limit_for(settings, e) for e in ("hosts.create_host", "tickets.jira_issue", "chat.slack_command")} == {1000}
    assert limit_for(settings, "images.put_file") is None


@pytest.fixture
def big_image(tmp_path) -> bytes:
    """A qcow2 file of more than 2 MiB (random data does not compress away)."""
    return files.qcow2_with_data(tmp_path / "big.qcow2", 16 * MIB, os.urandom(2 * MIB + 1)).read_bytes()


def never_whole(monkeypatch) -> None:
    """From now on a request body may only be streamed: reading one whole fails the test."""
    def whole(*args, **kwargs):
        raise AssertionError("the upload body was read whole")

    monkeypatch.setattr(Request, "get_data", whole)


def created_image(api) -> str:
    resp = api.post("/v1/images", json={"name": "big", "disk_format": "qcow2", "container_format": "bare"},
                    headers={"Authorization": f"Bearer {api.admin}"})
    assert resp.status_code == 201, resp.json
    return resp.json["image"]["id"]


def test_an_upload_over_the_request_limit_streams_into_an_active_image(api, store, big_image, monkeypatch):
    image_id = created_image(api)
    never_whole(monkeypatch)
    resp = api.put(f"/v1/images/{image_id}/file", data=big_image,
                   headers={"Authorization": f"Bearer {api.admin}", "Content-Type": "application/octet-stream"})
    assert resp.status_code == 200, resp.json
    assert resp.json["image"]["status"] == "active" and resp.json["image"]["size"] == len(big_image) > 2 * MIB


def test_a_chunked_upload_over_the_request_limit_streams_into_an_active_image(api, store, big_image, monkeypatch):
    image_id = created_image(api)
    never_whole(monkeypatch)
    resp = chunked(api, "PUT", f"/v1/images/{image_id}/file", big_image,
                   {"Authorization": f"Bearer {api.admin}", "Content-Type": "application/octet-stream"})
    assert resp.status_code == 200, resp.json
    assert resp.json["image"]["size"] == len(big_image)
