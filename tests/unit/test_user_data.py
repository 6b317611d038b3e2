"""A host's user_data as Nova takes it (operations.user_data): base64 of at most 65535
characters, else 422 before anything is recorded; kept on the host for its config drive,
shown nowhere, and part of the request's identity by digest only."""
import base64
import json
import uuid

import pytest

from operations.user_data import MAX_ENCODED, check_user_data
from tests.fakes import record_only
from tests.unit.test_api_validation import VALID, assert_nothing_recorded, post

CLOUD_CONFIG = base64.b64encode(b"#cloud-config\nruncmd: [touch, /tmp/x]\n").decode()


@pytest.mark.parametrize("text, says", [
    ("not base64!", "not base64"),
    ("YWJj\n", "not base64"),
    ("YWJjZA", "not base64"),
    ("A" * (MAX_ENCODED + 1), f"at most {MAX_ENCODED}"),
])
def test_user_data_that_nova_would_refuse_says_why(text, says):
    with pytest.raises(ValueError, match=says):
        check_user_data(text)


def test_an_allocation_with_bad_user_data_is_422_and_records_nothing(api):
    resp = post(api, {**VALID, "user_data": "#cloud-config"})
    assert resp.status_code == 422, resp.json
    assert "user_data" in resp.json["error"]["message"] and "base64" in resp.json["error"]["message"]
    assert_nothing_recorded(api)


def test_user_data_is_kept_for_the_host_and_shown_by_digest_only(api):
    record_only(api.svc)
    resp = post(api, {**VALID, "user_data": CLOUD_CONFIG})
    assert resp.status_code == 202, resp.json
    host_id = resp.json["host"]["id"]
    assert api.svc.hosts.user_data(host_id) == CLOUD_CONFIG
    auth = {"Authorization": f"Bearer {api.admin}"}
    op = api.get(f"/v1/operations/{resp.json['operation']['id']}", headers=auth).json
    host = api.get(f"/v1/hosts/{host_id}", headers=auth).json
    assert CLOUD_CONFIG not in json.dumps([resp.json, op, host])
    assert len(op["operation"]["params"]["user_data_sha256"]) == 64


def test_the_same_key_with_other_user_data_is_another_request(api):
    record_only(api.svc)
    key = str(uuid.uuid4())
    assert post(api, {**VALID, "user_data": CLOUD_CONFIG}, key=key).status_code == 202
    other = base64.b64encode(b"#cloud-config\n").decode()
    resp = post(api, {**VALID, "user_data": other}, key=key)
    assert resp.status_code == 422 and resp.json["error"]["code"] == "idempotency_key_reused"
