"""GET /v1/audit: who asked for what, from where, filtered (admin only)."""
from datetime import UTC, datetime

import pytest

from infra.db.tokens import TokenStore


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def trail(api):
    ops = api.svc.operations
    rows = [("allocate_host", "api", "admin", None, "2024-01-01T10:00:00"),
            ("reclaim_host", "jira", "jdoe", {"target": "jira", "key": "OPS-7"}, "2024-01-02T10:00:00"),
            ("allocate_host", "slack", "U123", {"target": "slack", "channel": "C9"}, "2024-01-03T10:00:00")]
    for n, (kind, source, requester, reply_to, created) in enumerate(rows):
        op, _ = ops.create(kind, f"k{n}", {"n": n}, source=source, requester=requester, reply_to=reply_to)
        ops.set_fields(op["id"], created_at=datetime.fromisoformat(created).replace(tzinfo=UTC))
    return api


def audit(api, query=""):
    resp = api.get(f"/v1/audit{query}", headers=auth(api.admin))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def test_records_say_who_asked_what_from_where_newest_first(trail):
    body = audit(trail)
    assert body["total"] == 3
    assert [(r["kind"], r["source"], r["requester"]) for r in body["records"]] == [
        ("allocate_host", "slack", "U123"), ("reclaim_host", "jira", "jdoe"), ("allocate_host", "api", "admin")]
    jira = body["records"][1]
    assert jira["reply_to"] == {"target": "jira", "key": "OPS-7"} and jira["state"] == "queued"
    assert jira["created"].startswith("2024-01-02T10:00:00") and jira["finished"] is None


@pytest.mark.parametrize(("query", "requesters"), [
    ("?requester=jdoe", ["jdoe"]),
    ("?source=slack", ["U123"]),
    ("?kind=allocate_host", ["U123", "admin"]),
    ("?since=2024-01-02T00:00:00Z", ["U123", "jdoe"]),
    ("?until=2024-01-02T10:00:00%2B00:00", ["admin"]),
    ("?since=2024-01-01T11:00:00%2B02:00&until=2024-01-03", ["jdoe", "admin"]),  # 09:00 UTC; until excludes
    ("?kind=allocate_host&limit=1", ["U123"]),
])
def test_filters(trail, query, requesters):
    assert [r["requester"] for r in audit(trail, query)["records"]] == requesters


@pytest.mark.parametrize("query", ["?since=yesterday", "?limit=0", "?who=me"])
def test_a_bad_filter_is_422(trail, query):
    assert trail.get(f"/v1/audit{query}", headers=auth(trail.admin)).status_code == 422


def test_only_an_admin_reads_the_audit(trail):
    operator = TokenStore(trail.svc.operations.db).create("op", "operator", ["alpha"])
    for token in (operator, trail.viewer):
        assert trail.get("/v1/audit", headers=auth(token)).status_code == 403
