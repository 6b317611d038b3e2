"""The dashboard's forms check with the API's own rules, show each error next to its
field, and change nothing when they refuse."""
import html
import re

import pytest

from infra.db.models import Host, Volume
from infra.db.tokens import TokenStore
from tests.unit.test_dashboard_access import csrf_of, log_in

GOOD = {"name": "web1", "env": "test", "image": "img", "project": "default",
        "vcpus": "1", "ram_mb": "256", "disk_gb": "1", "action": "plan"}


def field_error(page: str, field: str) -> str | None:
    """The error shown right under the field, tied to its input by aria-describedby."""
    tied = re.search(rf'id="{field}"[^>]*aria-describedby="{field}-error"', page, re.S)
    shown = re.search(rf'<p class="error" id="{field}-error"[^>]*>([^<]*)</p>', page)
    return html.unescape(shown.group(1)) if tied and shown else None


def submit(api, token, **over):
    log_in(api, token)
    csrf = csrf_of(api.get("/ui/hosts/new"))
    return api.post("/ui/hosts/new", data={**GOOD, **over, "csrf_token": csrf})


def nothing_recorded(api) -> bool:
    return api.svc.hosts.list(include_deleted=True) == [] and api.svc.operations.list()[1] == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "Not_A_Label", "should match pattern"),
    ("env", "", "should match pattern"),
    ("vcpus", "99", "must be between 1 and 8"),
    ("ram_mb", "lots", "must be a whole number"),
])
def test_a_bad_value_is_shown_next_to_its_field_and_nothing_is_recorded(api, field, value, message):
    resp = submit(api, api.admin, **{field: value}, action="confirm")
    assert resp.status_code == 422
    assert message in field_error(resp.get_data(as_text=True), field)
    assert nothing_recorded(api)


def test_every_bad_field_is_marked_at_once(api):
    page = submit(api, api.admin, name="Bad!", disk_gb="x").get_data(as_text=True)
    assert field_error(page, "name") and field_error(page, "disk_gb")
    assert field_error(page, "env") is None


def test_an_unknown_image_is_refused_on_confirm_next_to_the_image_field(api):
    resp = submit(api, api.admin, image="no-such-image", action="confirm")
    assert resp.status_code == 422
    assert "no-such-image" in field_error(resp.get_data(as_text=True), "image")
    assert nothing_recorded(api)


def test_an_operator_may_not_allocate_in_another_project(api):
    operator = TokenStore(api.svc.operations.db).create("op-alpha", "operator", ["alpha"])
    resp = submit(api, operator, project="beta", action="confirm")
    assert resp.status_code == 422
    assert "may not create in project 'beta'" in field_error(resp.get_data(as_text=True), "project")
    assert nothing_recorded(api)


def test_reclaim_with_a_mistyped_name_is_refused_next_to_the_field(api):
    with api.svc.operations.db.session() as s:
        s.add(Host(id="h1", name="web1", env="test", project="default", fqdn="web1.test", state="active",
                   hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1))
    log_in(api, api.admin)
    csrf = csrf_of(api.get("/ui/hosts/h1"))
    resp = api.post("/ui/hosts/h1/reclaim", data={"csrf_token": csrf, "confirm_name": "web2"})
    assert resp.status_code == 422
    assert "type the host's name, web1" in field_error(resp.get_data(as_text=True), "confirm_name")
    assert api.svc.hosts.get("h1")["state"] == "active"
    assert api.svc.operations.list()[1] == 0


@pytest.fixture
def host(api):
    with api.svc.operations.db.session() as s:
        s.add(Host(id="h1", name="web1", env="test", project="default", fqdn="web1.test", state="active",
                   hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1))
    log_in(api, api.admin)
    return "h1"


@pytest.mark.parametrize(("action", "form", "field", "message"), [
    ("snapshot", {"name": ""}, "snapshot-name", "at least 1 character"),
    ("dns", {"fqdn": "not a name", "type": "CNAME"}, "dns-fqdn", "should match pattern"),
    ("dns", {"fqdn": "www.test.cloud.internal", "type": "MX"}, "dns-type", "'CNAME' or 'A'"),
    ("dns", {"fqdn": "www.test.cloud.internal", "type": "A", "ttl": "5"}, "dns-ttl", "greater than or equal to 60"),
    ("rebuild", {"image": "img", "confirm_name": "web2"}, "rebuild-confirm_name", "type the host's name"),
])
def test_a_host_request_with_a_bad_value_is_refused_next_to_its_field(api, host, action, form, field, message):
    csrf = csrf_of(api.get(f"/ui/hosts/{host}"))
    resp = api.post(f"/ui/hosts/{host}/request/{action}", data={**form, "csrf_token": csrf, "action": "confirm"})
    assert resp.status_code == 422
    assert message in field_error(resp.get_data(as_text=True), field)
    assert api.svc.operations.list()[1] == 0
    assert api.svc.hosts.get(host)["state"] == "active"


def test_a_host_request_is_reviewed_before_anything_is_recorded(api, host):
    csrf = csrf_of(api.get(f"/ui/hosts/{host}"))
    resp = api.post(f"/ui/hosts/{host}/request/snapshot", data={"name": "before-upgrade", "csrf_token": csrf})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "before-upgrade" in page and 'value="confirm"' in page
    assert api.svc.operations.list()[1] == 0


def test_another_projects_volume_cannot_be_attached(api, host):
    with api.svc.operations.db.session() as s:
        s.add(Volume(id="v-beta", name="data", env="test", project="beta", size_gb=1, state="available",
                     hypervisor="hv1"))
    operator = TokenStore(api.svc.operations.db).create("op-default", "operator", ["default"])
    log_in(api, operator)
    csrf = csrf_of(api.get(f"/ui/hosts/{host}"))
    resp = api.post(f"/ui/hosts/{host}/attach", data={"volume_id": "v-beta", "csrf_token": csrf, "action": "confirm"})
    assert resp.status_code == 422
    assert "choose one of the available volumes" in field_error(resp.get_data(as_text=True), "volume_id")
    assert api.svc.volumes.get("v-beta")["state"] == "available"
    assert api.svc.operations.list()[1] == 0
