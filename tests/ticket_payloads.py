"""Ticket payloads as Jira and ServiceNow send them."""


def jira_issue(fields: dict | None = None, issuetype="Host Request", to_status="Approved",
               changelog_id: str = "10300", timestamp: int = 1732630000000) -> dict:
    """A `jira:issue_updated` delivery as Jira Cloud sends it for a status transition
    (`timestamp`: when Jira raised the event, ms; `changelog_id`: the change's id)."""
    return {
        "timestamp": timestamp, "webhookEvent": "jira:issue_updated", "issue_event_type_name": "issue_generic",
        "user": {"self": "https://acme.atlassian.net/rest/api/2/user?accountId=5b10ac8d82e05b22cc7d4ef5",
                 "accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Mia Krystof", "active": True},
        "issue": {"id": "10042", "key": "OPS-42", "self": "https://acme.atlassian.net/rest/api/2/issue/10042",
                  "fields": {"issuetype": {"name": issuetype, "id": "10005"}, "summary": "a web host",
                             "status": {"name": to_status}, **(fields or {})}},
        "changelog": {"id": changelog_id, "items": [{"field": "status", "fieldtype": "jira", "from": "10000",
                                                "fromString": "Open", "to": "10001", "toString": to_status}]},
    }


ALLOCATE_FIELDS = {"customfield_10010": "web1", "customfield_10011": {"self": "x", "value": "test", "id": "10020"},
                   "customfield_10012": "hostflow-test", "customfield_10013": 2.0, "customfield_10014": 512.0,
                   "customfield_10015": 1.0}


def request_item(variables: dict | None = None, cat_item="Virtual Host", approval="approved") -> dict:
    """A request item as a ServiceNow business rule posts it (display values for references)."""
    return {"sys_id": "9d385017c611228701d22104cc95c371", "number": "RITM0010001", "sys_class_name": "sc_req_item",
            "cat_item": {"value": "e0d08b13c3330100c8b837659bba8fb4", "display_value": cat_item},
            "approval": approval, "opened_by": {"value": "6816f79cc0a8016401c5a33be04be441",
                                                "display_value": "Abel Tuter"},
            "variables": variables if variables is not None else {
                "host_name": "app1", "environment": "test", "image": "hostflow-test", "vcpus": "1",
                "ram_mb": "256", "disk_gb": "1"}}
