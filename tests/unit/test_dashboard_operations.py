"""The operation page's actions: cancel after a confirmation step, approve or reject an
operation awaiting approval (admins and listed approvers only), each through the same
in-process functions as the API; what was asked and answered is shown on the page."""
import re

import pytest

from tests.unit.test_approvals import allocate, make_api
from tests.unit.test_dashboard_access import csrf_of, log_in


@pytest.fixture
def api(tmp_path, monkeypatch):
    return make_api(tmp_path, monkeypatch)


def post_forms(page: str) -> list[str]:
    """Where each of the page's POST forms and buttons sends, logout aside."""
    actions = re.findall(r'<form[^>]*method="post" action="([^"]+)"', page)
    return [a for a in actions + re.findall(r'formaction="([^"]+)"', page) if a != "/ui/logout"]


def page_of(api, who: str, op_id: str):
    log_in(api, api.tokens[who])
    return api.get(f"/ui/operations/{op_id}")


def post(api, op_id: str, verb: str, **form):
    csrf = csrf_of(api.get(f"/ui/operations/{op_id}"))
    return api.post(f"/ui/operations/{op_id}/{verb}", data={**form, "csrf_token": csrf})


def test_an_allocation_awaiting_approval_shows_why_until_when_and_the_answer_buttons(api):
    op = allocate(api)
    page = page_of(api, "admin", op["id"]).get_data(as_text=True)
    assert "awaiting_approval" in page
    assert "allocations in environment prod need approval" in page
    assert op["approval"]["deadline"] in page
    assert f"/ui/operations/{op['id']}/approve" in post_forms(page)
    assert f"/ui/operations/{op['id']}/reject" in post_forms(page)


def test_approving_queues_the_operation_and_shows_who_answered(api):
    op = allocate(api)
    page_of(api, "admin", op["id"])
    resp = post(api, op["id"], "approve", note="looks fine")
    assert resp.status_code == 303 and resp.location == f"/ui/operations/{op['id']}"
    after = api.svc.operations.get(op["id"])
    assert after["state"] == "queued" and op["id"] in api.queued
    assert after["approval"] | {"deadline": None} == {"reason": op["approval"]["reason"], "deadline": None,
                                                     "decision": "approved", "by": "admin", "note": "looks fine"}
    page = api.get(f"/ui/operations/{op['id']}").get_data(as_text=True)
    assert "approved" in page and "by admin: looks fine" in page
    assert "/approve" not in " ".join(post_forms(page))


def test_rejecting_queues_the_operation_cancelled_so_it_ends_rejected(api):
    op = allocate(api)
    page_of(api, "admin", op["id"])
    assert post(api, op["id"], "reject", note="not in prod").status_code == 303
    after = api.svc.operations.get(op["id"])
    assert after["approval"]["decision"] == "rejected" and after["approval"]["note"] == "not in prod"
    assert after["cancel_requested_by"] == "admin" and op["id"] in api.queued


def test_a_listed_approver_may_answer(api):
    op = allocate(api)
    page = page_of(api, "approver", op["id"]).get_data(as_text=True)
    assert f"/ui/operations/{op['id']}/approve" in post_forms(page)
    assert post(api, op["id"], "approve").status_code == 303
    assert api.svc.operations.get(op["id"])["approval"]["by"] == "ops-lead"


def test_an_operator_who_is_no_approver_sees_no_answer_buttons_and_may_not_answer(api):
    op = allocate(api)
    page = page_of(api, "operator", op["id"]).get_data(as_text=True)
    assert not any(a.endswith(("/approve", "/reject")) for a in post_forms(page))
    resp = post(api, op["id"], "approve")
    assert resp.status_code == 403
    assert api.svc.operations.get(op["id"])["state"] == "awaiting_approval" and api.queued == []


def test_a_note_too_long_is_refused_next_to_the_note_field(api):
    op = allocate(api)
    page_of(api, "admin", op["id"])
    resp = post(api, op["id"], "approve", note="x" * 1001)
    assert resp.status_code == 422
    assert 'aria-describedby="note-error"' in resp.get_data(as_text=True)
    assert "at most 1000 characters" in resp.get_data(as_text=True)
    assert api.svc.operations.get(op["id"])["state"] == "awaiting_approval"


def test_an_operation_answered_already_cannot_be_answered_again(api):
    op = allocate(api)
    page_of(api, "admin", op["id"])
    post(api, op["id"], "approve")
    resp = post(api, op["id"], "reject")
    assert resp.status_code == 409
    assert "not awaiting approval" in resp.get_data(as_text=True)
    assert api.svc.operations.get(op["id"])["approval"]["decision"] == "approved"


def test_a_viewer_sees_no_actions_and_may_not_cancel(api):
    op = allocate(api, env="test")
    page = page_of(api, "viewer", op["id"]).get_data(as_text=True)
    assert post_forms(page) == []
    assert post(api, op["id"], "cancel", action="confirm").status_code == 403
    assert api.svc.operations.get(op["id"])["cancel_requested"] is None


def test_cancel_asks_for_confirmation_before_anything_is_asked(api):
    op = allocate(api, env="test")
    page = page_of(api, "admin", op["id"]).get_data(as_text=True)
    assert f"/ui/operations/{op['id']}/cancel" in post_forms(page)
    resp = post(api, op["id"], "cancel")
    assert resp.status_code == 200 and 'value="confirm"' in resp.get_data(as_text=True)
    assert api.svc.operations.get(op["id"])["cancel_requested"] is None


def test_a_confirmed_cancel_is_recorded_and_shown_with_who_asked(api):
    op = allocate(api, env="test")
    page_of(api, "operator", op["id"])
    resp = post(api, op["id"], "cancel", action="confirm")
    assert resp.status_code == 303
    assert api.svc.operations.get(op["id"])["cancel_requested_by"] == "dev"
    page = api.get(f"/ui/operations/{op['id']}").get_data(as_text=True)
    assert "Cancellation requested by dev" in page
    assert f"/ui/operations/{op['id']}/cancel" not in post_forms(page)


def test_cancelling_one_awaiting_approval_ends_its_wait(api):
    op = allocate(api)
    page_of(api, "operator", op["id"])
    assert post(api, op["id"], "cancel", action="confirm").status_code == 303
    after = api.svc.operations.get(op["id"])
    assert after["state"] == "queued" and after["approval"]["decision"] == "cancelled"


def test_an_ended_operation_offers_no_cancel_and_refuses_one(api):
    op = allocate(api, env="test")
    api.svc.operations.transition(op["id"], {"queued"}, "succeeded")
    page = page_of(api, "admin", op["id"]).get_data(as_text=True)
    assert post_forms(page) == []
    resp = post(api, op["id"], "cancel", action="confirm")
    assert resp.status_code == 409 and "nothing to cancel" in resp.get_data(as_text=True)
    assert api.svc.operations.get(op["id"])["cancel_requested"] is None


@pytest.mark.parametrize("state", ["cancelled", "rejected"])
def test_a_cancelled_or_rejected_operation_is_listed_as_ended(api, state):
    ended = allocate(api, env="test")
    api.svc.operations.transition(ended["id"], {"queued"}, state)
    waiting = allocate(api, name="web2")
    log_in(api, api.tokens["admin"])
    listing = api.get("/ui/operations/live").get_data(as_text=True)
    rows = re.findall(r"<tr( class=\"running\")?>\s*<th scope=\"row\"><a href=\"/ui/operations/([^\"]+)\"", listing)
    assert rows == [(' class="running"', waiting["id"]), ("", ended["id"])]
    assert f"state-{state}" in listing and "awaiting approval" in listing
    assert 'data-final="true"' in api.get(f"/ui/operations/{ended['id']}/live").get_data(as_text=True)


def test_an_approver_may_not_approve_its_own_request_from_the_dashboard(api):
    op = allocate(api, who="approver")
    page_of(api, "approver", op["id"])
    resp = post(api, op["id"], "approve")
    assert resp.status_code == 403
    assert api.svc.operations.get(op["id"])["state"] == "awaiting_approval" and api.queued == []
