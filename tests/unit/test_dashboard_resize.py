"""Resize from the host page: the API's schema and limits, each error next to its field,
the old and new flavor shown before anything is recorded; Confirm and Revert for a host
waiting in verify_resize."""
import re

import pytest
from sqlalchemy import update

from infra.db.models import Host
from tests.fakes import record_only
from tests.unit.test_dashboard_access import csrf_of, log_in
from tests.unit.test_dashboard_forms import field_error

FLAVOR = {"vcpus": "2", "ram_mb": "512", "disk_gb": "2"}


@pytest.fixture
def host(api):
    record_only(api.svc)
    with api.svc.operations.db.session() as s:
        s.add(Host(id="h1", name="web1", env="test", project="default", fqdn="web1.test", state="active",
                   hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1))
    log_in(api, api.admin)
    return "h1"


def resize(api, host_id, **form):
    csrf = csrf_of(api.get(f"/ui/hosts/{host_id}"))
    return api.post(f"/ui/hosts/{host_id}/resize", data={**FLAVOR, **form, "csrf_token": csrf})


def in_verify_resize(api, host_id):
    api.svc.operations.create("resize_host", "k-resize", {"flavor": {"vcpus": 2, "ram_mb": 512, "disk_gb": 2},
                                                          "from": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}},
                              host_id=host_id)
    with api.svc.operations.db.session() as s:
        s.execute(update(Host).where(Host.id == host_id).values(state="verify_resize", vcpus=2, ram_mb=512))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("vcpus", "99", "must be between 1 and 8"),
    ("ram_mb", "lots", "must be a whole number"),
    ("disk_gb", "0", "must be between 1 and"),
])
def test_a_bad_flavor_value_is_refused_next_to_its_field(api, host, field, value, message):
    resp = resize(api, host, **{field: value}, action="confirm")
    assert resp.status_code == 422
    assert message in field_error(resp.get_data(as_text=True), f"resize-{field}")
    assert api.svc.operations.list()[1] == 0 and api.svc.hosts.get(host)["state"] == "active"


def test_a_shrinking_disk_is_refused_next_to_the_disk_field(api, host):
    with api.svc.operations.db.session() as s:
        s.execute(update(Host).where(Host.id == host).values(disk_gb=4))
    resp = resize(api, host, action="confirm")
    assert resp.status_code == 422
    assert "disks only grow" in field_error(resp.get_data(as_text=True), "resize-disk_gb")
    assert api.svc.operations.list()[1] == 0


def test_the_old_and_new_flavor_are_shown_before_anything_is_recorded(api, host):
    page = resize(api, host).get_data(as_text=True)
    assert "1 → 2" in page and "256 → 512" in page and 'value="confirm"' in page
    assert api.svc.operations.list()[1] == 0 and api.svc.hosts.get(host)["state"] == "active"


def test_a_confirmed_resize_is_submitted_like_the_apis(api, host):
    resp = resize(api, host, action="confirm")
    assert resp.status_code == 303
    op = api.svc.operations.get(resp.location.rsplit("/", 1)[-1])
    assert op["kind"] == "resize_host" and op["source"] == "dashboard" and op["requester"] == "admin"
    assert op["params"]["flavor"] == {"vcpus": 2, "ram_mb": 512, "disk_gb": 2}
    assert api.svc.hosts.get(host)["state"] == "resizing"


def test_a_host_in_verify_resize_offers_confirm_and_revert_and_no_resize(api, host):
    in_verify_resize(api, host)
    page = api.get(f"/ui/hosts/{host}").get_data(as_text=True)
    assert f"/ui/hosts/{host}/resize/confirm" in page and f"/ui/hosts/{host}/resize/revert" in page
    assert f'action="/ui/hosts/{host}/resize"' not in page


@pytest.mark.parametrize(("answer", "kind", "state"), [("confirm", "confirm_resize", "confirming"),
                                                        ("revert", "revert_resize", "reverting")])
def test_confirm_and_revert_are_submitted_like_the_apis(api, host, answer, kind, state):
    in_verify_resize(api, host)
    csrf = csrf_of(api.get(f"/ui/hosts/{host}"))
    resp = api.post(f"/ui/hosts/{host}/resize/{answer}", data={"csrf_token": csrf})
    assert resp.status_code == 303
    assert api.svc.operations.get(resp.location.rsplit("/", 1)[-1])["kind"] == kind
    assert api.svc.hosts.get(host)["state"] == state


def test_an_active_host_has_no_resize_to_confirm(api, host):
    page = api.get(f"/ui/hosts/{host}").get_data(as_text=True)
    assert "/resize/confirm" not in page
    csrf = csrf_of(api.get(f"/ui/hosts/{host}"))
    resp = api.post(f"/ui/hosts/{host}/resize/confirm", data={"csrf_token": csrf})
    assert resp.status_code == 409 and "no resize to confirm" in resp.get_data(as_text=True)
    assert api.svc.operations.list()[1] == 0


def form_key(page: str) -> str:
    found = re.search(r'name="key" value="([^"]+)"', page)
    assert found, "the form carries no key"
    return found.group(1)


@pytest.mark.parametrize(("answer", "kind"), [("confirm", "confirm_resize"), ("revert", "revert_resize")])
def test_a_double_submitted_confirm_or_revert_is_one_operation(api, host, answer, kind):
    in_verify_resize(api, host)
    page = api.get(f"/ui/hosts/{host}")
    key, csrf = form_key(page.get_data(as_text=True)), csrf_of(page)
    first = api.post(f"/ui/hosts/{host}/resize/{answer}", data={"csrf_token": csrf, "key": key})
    again = api.post(f"/ui/hosts/{host}/resize/{answer}", data={"csrf_token": csrf, "key": key})
    assert first.status_code == again.status_code == 303 and first.location == again.location
    ops = [op for op in api.svc.operations.list()[0] if op["kind"] == kind]
    assert len(ops) == 1 and ops[0]["idempotency_key"] == key


def test_each_render_of_the_host_page_has_a_new_key(api, host):
    in_verify_resize(api, host)
    assert form_key(api.get(f"/ui/hosts/{host}").get_data(as_text=True)) != \
        form_key(api.get(f"/ui/hosts/{host}").get_data(as_text=True))
