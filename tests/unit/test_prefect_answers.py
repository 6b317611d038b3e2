"""The Prefect UI's resume form speaks for HOSTFLOW_PREFECT_UI_IDENTITY, and only when that
name is an approver: otherwise its answer is not recorded and the operation keeps waiting."""
import logging
from dataclasses import replace

from tests.unit.test_approvals import allocate, api  # noqa: F401 - the fixture
from workers.deployments.run import Approval, record_answer

LOG = logging.getLogger("test")


def answer(approve=True) -> Approval:
    return Approval(approve=approve, note="from the UI")


def test_with_no_identity_set_the_answer_is_not_recorded(api):  # noqa: F811
    op = allocate(api)
    record_answer(api.svc, op["id"], answer(), LOG)
    assert api.svc.operations.get(op["id"])["state"] == "awaiting_approval" and api.queued == []


def test_an_identity_that_is_no_approver_records_nothing(api):  # noqa: F811
    api.svc.settings = replace(api.svc.settings, prefect_ui_identity="someone")
    op = allocate(api)
    record_answer(api.svc, op["id"], answer(), LOG)
    assert api.svc.operations.get(op["id"])["state"] == "awaiting_approval"


def test_an_approver_identity_answers_for_the_form(api):  # noqa: F811
    api.svc.settings = replace(api.svc.settings, prefect_ui_identity="ops-lead")
    op = allocate(api)
    record_answer(api.svc, op["id"], answer(), LOG)
    approved = api.svc.operations.get(op["id"])
    assert approved["state"] == "queued" and approved["approval"]["by"] == "ops-lead"


def test_the_form_cannot_approve_the_identitys_own_request(api):  # noqa: F811
    api.svc.settings = replace(api.svc.settings, prefect_ui_identity="ops-lead")
    op = allocate(api, who="approver")
    record_answer(api.svc, op["id"], answer(), LOG)
    assert api.svc.operations.get(op["id"])["state"] == "awaiting_approval"
