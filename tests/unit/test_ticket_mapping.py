"""Ticket payloads -> operation requests, by the mapping in settings."""
import hashlib
import json

import pytest

from infra.errors import Invalid
from infra.settings import Settings
from tests.ticket_payloads import ALLOCATE_FIELDS, jira_issue, request_item
from webhooks.tickets import jira, servicenow
from webhooks.tickets.mapping import Mapping, MappingInvalid


def default_jira() -> Mapping:
    return jira.mapping(Settings.from_env({}))


def test_a_transition_to_approved_of_a_host_request_is_an_allocation():
    ticket = jira.ticket(jira_issue(ALLOCATE_FIELDS), b"", default_jira())
    assert ticket.kind == "allocate_host"
    assert ticket.params == {"name": "web1", "env": "test", "image": "hostflow-test",
                             "flavor": {"vcpus": 2, "ram_mb": 512, "disk_gb": 1}}
    assert ticket.key == "jira:OPS-42:jira:issue_updated:1732630000000:10300" and ticket.source == "jira"
    assert ticket.requester == "Mia Krystof (5b10ac8d82e05b22cc7d4ef5)"
    assert ticket.reply_to == {"target": "jira", "issue": "OPS-42"}


def test_the_key_is_the_signed_event_never_the_delivery_header():
    """The issue, the event, its timestamp and changelog id; another change is another key."""
    first = jira.ticket(jira_issue(ALLOCATE_FIELDS), b"", default_jira()).key
    later = jira.ticket(jira_issue(ALLOCATE_FIELDS, changelog_id="10301", timestamp=1732630099000), b"",
                        default_jira()).key
    assert first != later and later == "jira:OPS-42:jira:issue_updated:1732630099000:10301"


def test_an_event_without_a_timestamp_or_changelog_id_is_keyed_on_the_signed_body():
    payload = jira_issue(ALLOCATE_FIELDS)
    del payload["timestamp"], payload["changelog"]["id"]
    raw = json.dumps(payload).encode()
    assert jira.ticket(payload, raw, default_jira()).key == "jira:sha256:" + hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize("issuetype,status", [("Bug", "Approved"), ("Host Request", "In Progress")])
def test_an_event_no_rule_matches_asks_for_nothing(issuetype, status):
    assert jira.ticket(jira_issue(ALLOCATE_FIELDS, issuetype, status), b"", default_jira()) is None


def test_an_edit_without_a_status_change_asks_for_nothing():
    payload = jira_issue(ALLOCATE_FIELDS)
    payload["changelog"]["items"] = [{"field": "summary", "fromString": "a", "toString": "b"}]
    assert jira.ticket(payload, b"", default_jira()) is None


def test_a_workflow_post_function_transition_matches_too():
    payload = jira_issue(ALLOCATE_FIELDS)
    del payload["changelog"]
    payload["transition"] = {"workflowName": "Hosts", "transitionId": 31, "transitionName": "Approve",
                             "from_status": "Open", "to_status": "Approved"}
    assert jira.ticket(payload, b"", default_jira()).kind == "allocate_host"


def test_missing_fields_are_all_named_with_where_they_were_looked_for():
    fields = {k: v for k, v in ALLOCATE_FIELDS.items() if k not in {"customfield_10010", "customfield_10014"}}
    with pytest.raises(Invalid) as err:
        jira.ticket(jira_issue(fields), b"", default_jira())
    assert err.value.code == "missing_fields" and err.value.status == 422
    assert err.value.details["missing"] == [{"field": "name", "path": "issue.fields.customfield_10010"},
                                            {"field": "ram_mb", "path": "issue.fields.customfield_10014"}]
    assert "name (issue.fields.customfield_10010)" in err.value.message
    assert "ram_mb (issue.fields.customfield_10014)" in err.value.message


def test_an_empty_field_counts_as_missing_unless_the_mapping_has_a_default():
    fields = {**ALLOCATE_FIELDS, "customfield_10012": ""}
    with pytest.raises(Invalid, match="image"):
        jira.ticket(jira_issue(fields), b"", default_jira())
    custom = Mapping.parse(json.dumps({**jira.DEFAULT_MAPPING, "defaults": {"image": "debian-12"}}), {})
    assert jira.ticket(jira_issue(fields), b"", custom).params["image"] == "debian-12"


def test_a_payload_without_an_issue_is_refused():
    with pytest.raises(Invalid, match="issue.key"):
        jira.ticket({"webhookEvent": "jira:issue_updated"}, b"", default_jira())


def test_the_mapping_setting_is_json_or_a_file(tmp_path):
    custom = {"rules": [{"match": {"issue.fields.issuetype.name": "Decommission", "transition_to": "Done"},
                         "operation": "reclaim_host"}],
              "fields": {"name": "issue.fields.customfield_20000", "env": "issue.fields.customfield_20001"}}
    path = tmp_path / "jira.json"
    path.write_text(json.dumps(custom))
    payload = jira_issue({"customfield_20000": "db1", "customfield_20001": "prod"}, "Decommission", "Done")
    for setting in (json.dumps(custom), str(path)):
        ticket = jira.ticket(payload, b"", jira.mapping(Settings.from_env({"HOSTFLOW_JIRA_MAPPING": setting})))
        assert (ticket.kind, ticket.params) == ("reclaim_host", {"name": "db1", "env": "prod"})


def test_a_mapping_naming_an_unknown_operation_is_refused():
    with pytest.raises(MappingInvalid, match="format_disk"):
        Mapping.parse(json.dumps({"rules": [{"match": {}, "operation": "format_disk"}]}), {})


@pytest.mark.parametrize("setting", ["{not json", "/nonexistent/mapping.json", '{"rules": [{"operation": "x"}]}'])
def test_an_unusable_mapping_is_a_configuration_error(setting):
    with pytest.raises(MappingInvalid, match="ticket mapping in settings is unusable") as err:
        Mapping.parse(setting, {})
    assert err.value.status == 503


def test_business_names_in_a_text_field_become_a_list():
    fields = {**ALLOCATE_FIELDS, "customfield_10017": "www.test.cloud.internal, shop.cloud.internal"}
    ticket = jira.ticket(jira_issue(fields), b"", default_jira())
    assert ticket.params["names"] == ["www.test.cloud.internal", "shop.cloud.internal"]


def test_the_comment_goes_only_to_the_configured_jira_never_to_the_payloads():
    reply_to = {"target": "jira", "issue": "OPS-42", "base_url": "https://attacker.example"}
    assert jira.comment(reply_to, "done", Settings.from_env({})).url == ""
    configured = jira.comment(reply_to, "done", Settings.from_env({"HOSTFLOW_JIRA_URL": "http://127.0.0.1:8791/"}))
    assert (configured.method, configured.url, configured.body) == (
        "POST", "http://127.0.0.1:8791/rest/api/2/issue/OPS-42/comment", {"body": "done"})


def test_an_approved_virtual_host_item_is_an_allocation():
    ticket = servicenow.ticket(request_item(), servicenow.mapping(Settings.from_env({})), "sc_req_item")
    assert ticket.kind == "allocate_host" and ticket.requester == "Abel Tuter"
    assert ticket.params["flavor"] == {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}
    assert ticket.key == "servicenow:sc_req_item:9d385017c611228701d22104cc95c371:allocate_host"
    assert ticket.reply_to == {"target": "servicenow", "table": "sc_req_item",
                               "sys_id": "9d385017c611228701d22104cc95c371", "number": "RITM0010001"}


def test_a_request_item_missing_variables_names_them():
    with pytest.raises(Invalid) as err:
        servicenow.ticket(request_item({"host_name": "app1"}), servicenow.mapping(Settings.from_env({})), "x")
    assert [m["field"] for m in err.value.details["missing"]] == ["env", "image", "vcpus", "ram_mb", "disk_gb"]


def test_work_notes_patch_the_record_through_the_table_api():
    reply_to = {"target": "servicenow", "table": "sc_req_item", "sys_id": "abc"}
    report = servicenow.work_notes(reply_to, "done", Settings.from_env(
        {"HOSTFLOW_SERVICENOW_URL": "https://acme.service-now.com"}))
    assert (report.method, report.url, report.body) == (
        "PATCH", "https://acme.service-now.com/api/now/table/sc_req_item/abc", {"work_notes": "done"})
