"""Shares on the host page: listed; attached and detached by a writer after a review
step, through the API's submit functions; a refusal is shown next to the field and
changes nothing."""
import dataclasses
import re

import pytest

from infra.db.models import Host, HostShare, Share
from tests.fakes import record_only
from tests.unit.test_dashboard_access import csrf_of, log_in
from tests.unit.test_dashboard_forms import field_error


@pytest.fixture
def host(api):
    """web1 in env test with share `data` attached; `logs` (test) and `other` (prod) not."""
    record_only(api.svc)
    api.svc.settings = dataclasses.replace(api.svc.settings, share_driver="9p")  # `logs` is read-only
    with api.svc.operations.db.session() as s:
        s.add(Host(id="h1", name="web1", env="test", project="default", fqdn="web1.test", state="active",
                   hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1))
        for name, env in (("data", "test"), ("logs", "test"), ("other", "prod")):
            s.add(Share(id=f"s-{name}", name=name, env=env, source=f"/srv/shares/{name}",
                        mount_point=f"/mnt/{name}", read_only=name == "logs"))
        s.flush()
        s.add(HostShare(host_id="h1", share_id="s-data"))
    log_in(api, api.admin)
    return "h1"


def post(api, path, **form):
    csrf = csrf_of(api.get("/ui/hosts/h1"))
    return api.post(path, data={**form, "csrf_token": csrf})


def test_the_host_page_lists_its_shares_and_offers_only_its_environments_others(api, host):
    page = api.get("/ui/hosts/h1").get_data(as_text=True)
    assert "/srv/shares/data" in page and "/mnt/data" in page
    options = re.findall(r'<option value="([^"]*)">', page.split('id="share"', 1)[1].split("</select>")[0])
    assert options == ["logs"]


def test_attaching_a_share_is_reviewed_before_anything_is_recorded(api, host):
    resp = post(api, "/ui/hosts/h1/shares/attach", share="logs")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "/mnt/logs" in page and "read-only" in page and 'value="confirm"' in page
    assert api.svc.operations.list()[1] == 0


def test_a_confirmed_attach_is_submitted_like_the_apis(api, host):
    resp = post(api, "/ui/hosts/h1/shares/attach", share="logs", action="confirm")
    assert resp.status_code == 303
    op = api.svc.operations.get(resp.location.rsplit("/", 1)[-1])
    assert op["kind"] == "attach_share" and op["params"] == {"host_id": "h1", "share": "logs"}
    assert op["source"] == "dashboard" and op["requester"] == "admin"


def test_a_confirmed_detach_is_submitted_like_the_apis(api, host):
    assert post(api, "/ui/hosts/h1/shares/detach", share="data").status_code == 200
    resp = post(api, "/ui/hosts/h1/shares/detach", share="data", action="confirm")
    assert resp.status_code == 303
    op = api.svc.operations.get(resp.location.rsplit("/", 1)[-1])
    assert op["kind"] == "detach_share" and op["params"]["share"] == "data"


@pytest.mark.parametrize(("action", "share", "field", "message"), [
    ("attach", "other", "share", "belongs to environment prod"),
    ("attach", "data", "share", "already attached"),
    ("attach", "nothing", "share", "not found"),
    ("attach", "", "share", "choose a share"),
])
@pytest.mark.parametrize("step", ["plan", "confirm"])
def test_a_refused_attach_is_shown_next_to_the_field_and_records_nothing(api, host, action, share, field,
                                                                       message, step):
    resp = post(api, f"/ui/hosts/h1/shares/{action}", share=share, action=step)
    assert resp.status_code in (409, 422)
    assert message in field_error(resp.get_data(as_text=True), field)
    assert api.svc.operations.list()[1] == 0


def test_detaching_a_share_the_host_does_not_have_is_refused(api, host):
    resp = post(api, "/ui/hosts/h1/shares/detach", share="logs", action="confirm")
    assert resp.status_code == 409
    assert "not attached" in resp.get_data(as_text=True)
    assert api.svc.operations.list()[1] == 0


def test_a_viewer_sees_the_shares_but_no_share_form_and_may_not_post(api, host):
    log_in(api, api.viewer)
    page = api.get("/ui/hosts/h1").get_data(as_text=True)
    assert "/mnt/data" in page and "/shares/" not in page.replace("/srv/shares/", "")
    resp = post(api, "/ui/hosts/h1/shares/attach", share="logs", action="confirm")
    assert resp.status_code == 403 and api.svc.operations.list()[1] == 0
