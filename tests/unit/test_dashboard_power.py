"""Power actions from the host page: only the actions its power state fits are offered,
a stop or reboot of a prod host needs its name typed in, and nothing is recorded before
the confirm."""
import pytest

from infra.db.models import Host
from tests.fakes import record_only
from tests.unit.test_dashboard_access import csrf_of, log_in


@pytest.fixture
def page(api):
    record_only(api.svc)
    api.svc.planner.power = lambda host, action, force: {"dry_run": True, "steps": []}
    with api.svc.operations.db.session() as s:
        for host_id, env in (("h1", "test"), ("p1", "prod")):
            s.add(Host(id=host_id, name=f"web-{host_id}", env=env, project="default", fqdn=f"{host_id}.x",
                       state="active", hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1,
                       power_state="running"))
    log_in(api, api.admin)
    return api


def post(api, host_id, **form):
    csrf = csrf_of(api.get(f"/ui/hosts/{host_id}"))
    return api.post(f"/ui/hosts/{host_id}/power", data={**form, "csrf_token": csrf})


def test_the_page_offers_only_the_actions_the_power_state_fits(page):
    html = page.get("/ui/hosts/h1").get_data(as_text=True)
    offered = {a for a in ("start", "stop", "reboot", "suspend", "resume", "pause", "unpause")
               if f'name="power" value="{a}"' in html}
    assert offered == {"stop", "reboot", "suspend", "pause"}


def test_a_stop_shows_its_plan_first_and_records_nothing(page):
    resp = post(page, "h1", power="stop")
    assert resp.status_code == 200 and "Confirm: Stop web-h1" in resp.get_data(as_text=True)
    assert page.svc.operations.list()[1] == 0


def test_a_confirmed_stop_starts_the_operation(page):
    resp = post(page, "h1", power="stop", action="confirm", key="k-stop")
    assert resp.status_code == 303 and page.svc.hosts.get("h1")["state"] == "stopping"


@pytest.mark.parametrize("typed", ["", "web-h1", "WEB-P1"])
def test_a_prod_host_is_stopped_only_with_its_name_typed_in(page, typed):
    resp = post(page, "p1", power="stop", action="confirm", confirm_name=typed)
    assert resp.status_code == 422 and "name, web-p1, to stop it" in resp.get_data(as_text=True)
    assert page.svc.operations.list()[1] == 0


def test_a_prod_host_is_stopped_with_its_name_typed_in(page):
    resp = post(page, "p1", power="stop", action="confirm", confirm_name="web-p1")
    assert resp.status_code == 303 and page.svc.hosts.get("p1")["state"] == "stopping"


def test_the_console_page_of_a_stopped_host_says_why_there_is_none(page):
    with page.svc.operations.db.session() as s:
        s.get(Host, "h1").power_state = "shutoff"
    resp = page.get("/ui/hosts/h1/console")
    assert resp.status_code == 409 and "has no console now" in resp.get_data(as_text=True)


def test_the_host_page_links_the_console_of_a_running_host(page):
    assert "/ui/hosts/h1/console" in page.get("/ui/hosts/h1").get_data(as_text=True)
