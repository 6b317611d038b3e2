"""POST /v1/webhooks/jira and /v1/webhooks/servicenow: authenticated, mapped, recorded once."""
import base64
import hashlib
import hmac
import json

import pytest

from api.app import create_app
from infra.db import migrate
from infra.db.images import ImageStore
from infra.db.models import Host
from infra.settings import Settings
from tests.fakes import record_only
from tests.ticket_payloads import ALLOCATE_FIELDS, jira_issue, request_item

JIRA_SECRET = "jira-s3cret"
EVENT_KEY = "jira:OPS-42:jira:issue_updated:1732630000000:10300"  # the issue, event, timestamp, changelog id


def make_client(tmp_path, **env):
    settings = Settings.from_env({"HOSTFLOW_STATE_DIR": str(tmp_path), "HOSTFLOW_REDIS_URL": "redis://127.0.0.1:1/0",
                                  "HOSTFLOW_WEBHOOK_SECRET_JIRA": JIRA_SECRET,
                                  "HOSTFLOW_WEBHOOK_SECRET_SERVICENOW": "snow:pa55", **env})
    migrate.upgrade(settings.database_url)
    app = create_app(settings)
    svc = app.extensions["hostflow"]
    queued = record_only(svc).queued
    ImageStore(svc.operations.db).add(name="hostflow-test", disk_format="qcow2", status="active",
                                      os_hash_value="00", location="/nowhere")
    client = app.test_client()
    client.svc, client.queued = svc, queued
    return client


@pytest.fixture
def api(tmp_path):
    return make_client(tmp_path)


def send_jira(api, payload: dict, delivery="a1b2c3", secret=JIRA_SECRET, raw: bytes | None = None):
    raw = raw if raw is not None else json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return api.post("/v1/webhooks/jira", data=raw, content_type="application/json",
                    headers={"X-Hub-Signature": signature, "X-Atlassian-Webhook-Identifier": delivery})


def basic(user_password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(user_password.encode()).decode()}


def send_snow(api, payload: dict, headers: dict):
    return api.post("/v1/webhooks/servicenow", json=payload, headers=headers)


def test_a_signed_jira_transition_records_an_allocation_with_who_asked_and_where_to_report(api):
    resp = send_jira(api, jira_issue(ALLOCATE_FIELDS))
    assert resp.status_code == 202, resp.json
    op = api.svc.operations.get(resp.json["operation"]["id"])
    assert (op["kind"], op["source"]) == ("allocate_host", "jira")
    assert op["requester"] == "Mia Krystof (5b10ac8d82e05b22cc7d4ef5)"
    assert op["idempotency_key"] == EVENT_KEY and op["params"]["flavor"]["ram_mb"] == 512
    assert op["reply_to"] == {"target": "jira", "issue": "OPS-42"}
    assert op["notify"] is None and api.queued == [op["id"]]


def test_a_redelivery_with_the_same_identifier_is_the_same_operation(api):
    first = send_jira(api, jira_issue(ALLOCATE_FIELDS))
    again = send_jira(api, jira_issue(ALLOCATE_FIELDS))
    assert again.status_code == 202 and again.json["created"] is False
    assert again.json["operation"]["id"] == first.json["operation"]["id"]
    assert len(api.svc.hosts.list()) == 1 and len(api.queued) == 1


def test_a_bad_jira_signature_is_refused_and_records_nothing(api):
    resp = send_jira(api, jira_issue(ALLOCATE_FIELDS), secret="wrong")
    assert resp.status_code == 401 and resp.json["error"]["code"] == "bad_signature"
    assert api.svc.hosts.list(include_deleted=True) == []


def test_a_tampered_jira_body_is_refused(api):
    raw = json.dumps(jira_issue(ALLOCATE_FIELDS)).encode()
    signature = "sha256=" + hmac.new(JIRA_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    resp = api.post("/v1/webhooks/jira", data=raw.replace(b"web1", b"web2"), headers={"X-Hub-Signature": signature})
    assert resp.status_code == 401 and resp.json["error"]["code"] == "bad_signature"


def test_an_unsigned_jira_delivery_is_told_which_header_it_lacks(api):
    resp = api.post("/v1/webhooks/jira", json=jira_issue(ALLOCATE_FIELDS))
    assert resp.status_code == 401 and resp.json["error"]["code"] == "missing_signature"
    assert "X-Hub-Signature" in resp.json["error"]["message"]


def test_jira_without_a_configured_secret_is_refused(tmp_path):
    api = make_client(tmp_path, HOSTFLOW_WEBHOOK_SECRET_JIRA="")
    assert send_jira(api, jira_issue(ALLOCATE_FIELDS)).json["error"]["code"] == "unknown_source"


def test_an_issue_missing_required_fields_gets_a_422_naming_them(api):
    fields = {k: v for k, v in ALLOCATE_FIELDS.items() if k != "customfield_10013"}
    resp = send_jira(api, jira_issue(fields))
    assert resp.status_code == 422 and resp.json["error"]["code"] == "missing_fields"
    assert resp.json["error"]["details"]["missing"] == [{"field": "vcpus", "path": "issue.fields.customfield_10013"}]
    assert "vcpus (issue.fields.customfield_10013)" in resp.json["error"]["message"]
    assert api.svc.hosts.list(include_deleted=True) == [] and api.queued == []


def test_a_field_holding_the_wrong_kind_of_value_is_a_422_like_the_rest_api(api):
    resp = send_jira(api, jira_issue({**ALLOCATE_FIELDS, "customfield_10013": "two"}))
    assert resp.status_code == 422 and "vcpus" in resp.json["error"]["message"]


def test_an_event_the_mapping_ignores_is_acknowledged_and_starts_nothing(api):
    resp = send_jira(api, jira_issue(ALLOCATE_FIELDS, to_status="In Progress"))
    assert resp.status_code == 200 and "ignored" in resp.json
    assert api.queued == []


def test_a_jira_reclaim_names_the_host_by_name_and_environment(api):
    send_jira(api, jira_issue(ALLOCATE_FIELDS))
    [host] = api.svc.hosts.list()
    api.svc.operations.transition(host["created_operation"], {"queued"}, "succeeded")
    reclaim = jira_issue({"customfield_10010": "web1", "customfield_10011": {"value": "test"}}, "Host Reclaim",
                         changelog_id="10301")
    resp = send_jira(api, reclaim, delivery="d-reclaim")
    assert resp.status_code == 202, resp.json
    op = api.svc.operations.get(resp.json["operation"]["id"])
    assert (op["kind"], op["host_id"], op["reply_to"]["issue"]) == ("reclaim_host", host["id"], "OPS-42")


def test_a_reclaim_of_an_unknown_host_is_a_404(api):
    reclaim = jira_issue({"customfield_10010": "nope", "customfield_10011": "test"}, "Host Reclaim")
    resp = send_jira(api, reclaim)
    assert resp.status_code == 404 and resp.json["error"]["code"] == "host_not_found"


def test_servicenow_with_basic_auth_records_the_item_once(api):
    first = send_snow(api, request_item(), basic("snow:pa55"))
    again = send_snow(api, request_item(), basic("snow:pa55"))
    assert first.status_code == 202 and again.json["operation"]["id"] == first.json["operation"]["id"]
    op = api.svc.operations.get(first.json["operation"]["id"])
    assert (op["source"], op["requester"]) == ("servicenow", "Abel Tuter")
    assert op["reply_to"]["sys_id"] == "9d385017c611228701d22104cc95c371"


@pytest.mark.parametrize("headers,code", [
    ({}, "missing_credentials"),
    (basic("snow:wrong"), "bad_credentials"),
    ({"Authorization": "Bearer snow:pa55"}, "missing_credentials"),
])
def test_servicenow_without_the_right_basic_credentials_is_refused(api, headers, code):
    resp = send_snow(api, request_item(), headers)
    assert resp.status_code == 401 and resp.json["error"]["code"] == code
    assert api.svc.hosts.list(include_deleted=True) == []


def test_servicenow_may_use_a_bearer_token_instead(tmp_path):
    api = make_client(tmp_path, HOSTFLOW_WEBHOOK_AUTH_SERVICENOW="bearer",
                      HOSTFLOW_WEBHOOK_SECRET_SERVICENOW="tok-123")
    assert send_snow(api, request_item(), {"Authorization": "Bearer tok-123"}).status_code == 202
    wrong = send_snow(api, request_item(), {"Authorization": "Bearer tok-124"})
    assert wrong.json["error"]["code"] == "bad_credentials"
    assert send_snow(api, request_item(), basic("x:tok-123")).json["error"]["code"] == "missing_credentials"


def test_a_servicenow_item_missing_variables_gets_a_422_naming_them(api):
    resp = send_snow(api, request_item({"host_name": "app1", "environment": "test"}), basic("snow:pa55"))
    assert resp.status_code == 422 and resp.json["error"]["code"] == "missing_fields"
    assert {m["field"] for m in resp.json["error"]["details"]["missing"]} == {"image", "vcpus", "ram_mb", "disk_gb"}


def test_openapi_lists_the_ticket_webhooks(api):
    paths = api.get("/v1/openapi.json").json["paths"]
    assert {"/v1/webhooks/jira", "/v1/webhooks/servicenow"} <= set(paths)


def test_a_ticket_source_s_secret_does_not_open_the_generic_webhook(api):
    raw = json.dumps({"operation": "reclaim_host", "params": {"host_id": "x"}}).encode()
    signature = "sha256=" + hmac.new(JIRA_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    resp = api.post("/v1/webhooks/generic", data=raw,
                    headers={"X-Hub-Signature-256": signature, "X-Hostflow-Source": "jira"})
    assert resp.status_code == 401 and resp.json["error"]["code"] == "unknown_source"


def test_a_jira_allocation_carries_its_business_names(api):
    fields = {**ALLOCATE_FIELDS, "customfield_10017": "WWW.test.cloud.internal. shop.cloud.internal"}
    resp = send_jira(api, jira_issue(fields))
    assert resp.status_code == 202, resp.json
    op = api.svc.operations.get(resp.json["operation"]["id"])
    assert op["params"]["names"] == ["www.test.cloud.internal", "shop.cloud.internal"]


def test_a_business_name_outside_the_zone_is_a_422_and_records_nothing(api):
    resp = send_jira(api, jira_issue({**ALLOCATE_FIELDS, "customfield_10017": "www.example.com"}))
    assert resp.status_code == 422 and resp.json["error"]["code"] == "outside_managed_zones"
    assert api.queued == []


def test_a_broken_mapping_in_settings_is_a_clear_configuration_error(tmp_path):
    api = make_client(tmp_path, HOSTFLOW_JIRA_MAPPING="{broken")
    resp = send_jira(api, jira_issue(ALLOCATE_FIELDS))
    assert resp.status_code == 503 and resp.json["error"]["code"] == "ticket_mapping_invalid"
    assert "ticket mapping in settings is unusable" in resp.json["error"]["message"]
    assert api.queued == []


@pytest.mark.parametrize("changelog", [{"items": [None]}, {"items": 5}, 5, {"items": ["status"]}])
def test_a_malformed_changelog_is_no_transition_not_a_crash(api, changelog):
    payload = {**jira_issue(ALLOCATE_FIELDS), "changelog": changelog, "user": "someone"}
    resp = send_jira(api, payload)
    assert resp.status_code == 200 and resp.json["ignored"]


# --- a source acts within its projects (HOSTFLOW_SOURCE_PROJECTS) --------------------

def add_host(api, project: str, name="web9") -> str:
    from infra.db.models import Host
    with api.svc.operations.db.session() as s:
        s.add(Host(id=f"h-{project}", name=name, env="test", project=project, fqdn=f"{name}.test",
                   state="active", hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1))
    return f"h-{project}"


def test_a_jira_allocation_in_a_project_its_source_may_not_act_in_is_403(api):
    resp = send_jira(api, jira_issue({**ALLOCATE_FIELDS, "customfield_10016": "payroll"}))
    assert resp.status_code == 403 and resp.json["error"]["code"] == "project_not_allowed"
    assert api.svc.hosts.list(include_deleted=True) == [] and api.queued == []


def test_a_jira_reclaim_of_another_projects_host_is_as_unknown_as_a_missing_one(api):
    add_host(api, "payroll")
    reclaim = jira_issue({"customfield_10010": "web9", "customfield_10011": "test"}, "Host Reclaim")
    resp = send_jira(api, reclaim)
    assert resp.status_code == 404 and resp.json["error"]["code"] == "host_not_found"
    assert api.svc.hosts.get("h-payroll")["state"] == "active" and api.queued == []


def test_the_setting_gives_a_source_its_projects(tmp_path):
    api = make_client(tmp_path, HOSTFLOW_SOURCE_PROJECTS=json.dumps({"jira": ["payroll"]}))
    add_host(api, "payroll")
    reclaim = jira_issue({"customfield_10010": "web9", "customfield_10011": "test"}, "Host Reclaim")
    assert send_jira(api, reclaim).status_code == 202
    allocate = jira_issue(ALLOCATE_FIELDS, changelog_id="10301")
    assert send_jira(api, allocate, delivery="d-2").status_code == 403  # not default now


def test_a_mapped_jira_restart_reboots_the_named_host(tmp_path):
    mapping = {"rules": [{"match": {"issue.fields.issuetype.name": "Host Restart", "transition_to": "Approved"},
                          "operation": "reboot_host"}],
               "fields": {"name": "issue.fields.customfield_10010", "env": "issue.fields.customfield_10011"}}
    api = make_client(tmp_path, HOSTFLOW_JIRA_MAPPING=json.dumps(mapping))
    with api.svc.operations.db.session() as s:
        s.add(Host(id="h1", name="web1", env="test", fqdn="web1.test", state="active", hypervisor="hv1",
                   image_id="i", vcpus=1, ram_mb=256, disk_gb=1, power_state="running"))
    resp = send_jira(api, jira_issue({"customfield_10010": "web1", "customfield_10011": {"value": "test"}},
                                     "Host Restart"))
    assert resp.status_code == 202, resp.json
    op = api.svc.operations.get(resp.json["operation"]["id"])
    assert (op["kind"], op["host_id"], op["params"]["action"]) == ("reboot_host", "h1", "reboot")
    assert api.svc.hosts.get("h1")["state"] == "rebooting"
