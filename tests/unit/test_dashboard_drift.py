"""The dashboard's drift page (admin): the report's sources and findings, and a button
that repairs the safe findings shown, each as an operation linked from the answer; no
other role gets the page, its link or its form."""
import re

import pytest

from infra.db.tokens import TokenStore
from tests.fakes import record_only
from tests.unit.test_dashboard_access import csrf_of, log_in
from tests.unit.test_drift import World


@pytest.fixture
def drifted(api):
    """Host h1 deleted on record, everything of it left in place; an admin logged in."""
    record_only(api.svc)
    api.world = World(api.svc)
    api.world.delete_host("h1")
    log_in(api, api.admin)
    return api


def page(api) -> str:
    resp = api.get("/ui/drift")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def safe_ids(shown: str) -> list[str]:
    return re.findall(r'name="finding" value="([0-9a-f]{16})"', shown)


def repair(api, ids: list[str]):
    return api.post("/ui/drift/repairs", data={"csrf_token": csrf_of(api.get("/ui/")), "finding": ids})


def test_an_admin_sees_each_source_and_each_finding(drifted):
    shown = page(drifted)
    assert "<th scope=\"row\">node:hv1</th>" in shown and shown.count("state-ok\">read</span>") == 7
    assert "claim of host h1 on hv1" in shown and "host h1 is deleted" in shown
    assert "<code>release_capacity</code>" in shown
    assert "check the guest, then reclaim it" in shown
    assert "5 findings, 3 safe to repair" in shown


def test_a_source_not_read_says_why(drifted):
    drifted.world.unreachable = True
    shown = page(drifted)
    assert "not read</span></td><td><code>queue_unavailable</code>: no live worker serves hv.hv1" in shown
    assert "some sources were not read" in shown


def test_the_navigation_links_the_page_for_an_admin_only(drifted):
    assert 'href="/ui/drift"' in drifted.get("/ui/").get_data(as_text=True)
    log_in(drifted, drifted.viewer)
    assert 'href="/ui/drift"' not in drifted.get("/ui/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_no_other_role_may_open_the_page_or_repair(drifted, role):
    ids = safe_ids(page(drifted))
    log_in(drifted, TokenStore(drifted.svc.operations.db).create(f"t-{role}", role))
    assert drifted.get("/ui/drift").status_code == 403
    assert repair(drifted, ids).status_code == 403
    assert drifted.svc.operations.list()[0] == []


def test_the_repair_button_submits_the_safe_findings_and_links_each_operation(drifted):
    ids = safe_ids(page(drifted))
    resp = repair(drifted, ids)
    shown = resp.get_data(as_text=True)
    ops = drifted.svc.operations.list()[0]
    assert resp.status_code == 200 and len(ids) == len(ops) == 3
    assert {op["kind"] for op in ops} == {"repair_drift"} and {op["source"] for op in ops} == {"dashboard"}
    assert {op["params"]["finding"] for op in ops} == set(ids)
    assert all(f'href="/ui/operations/{op["id"]}"' in shown for op in ops)
    assert "3 repairs submitted" in shown
    assert drifted.get(f"/ui/operations/{ops[0]['id']}").status_code == 200


def test_a_form_without_its_csrf_token_is_refused(drifted):
    ids = safe_ids(page(drifted))
    assert drifted.post("/ui/drift/repairs", data={"finding": ids}).status_code == 400
    assert drifted.svc.operations.list()[0] == []


@pytest.mark.parametrize("ids", [[], ["not-an-id"]], ids=["none", "not_an_id"])
def test_a_form_naming_no_finding_is_refused(drifted, ids):
    assert repair(drifted, ids).status_code == 400
    assert drifted.svc.operations.list()[0] == []
