"""A DNS name's page, by record id or fqdn, scoped like the names list (another project's
host's name is a 404); a writer removes a business name after a review step, through the
API's submit function; a host's own name cannot be removed there, and says why."""
import re

import pytest

from infra.db.models import DnsRecord, Host
from infra.db.tokens import TokenStore
from tests.fakes import record_only
from tests.unit.test_dashboard_access import csrf_of, log_in


@pytest.fixture
def names(api):
    """web-alpha (project alpha) with a business CNAME and its own A name; web-beta (beta)."""
    record_only(api.svc)
    with api.svc.operations.db.session() as s:
        for p in ("alpha", "beta"):
            s.add(Host(id=f"h-{p}", name=f"web-{p}", env="test", project=p, fqdn=f"web-{p}.test.cloud.internal",
                       state="active", hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1))
            s.add(DnsRecord(id=f"r-{p}", fqdn=f"www-{p}.test.cloud.internal", type="CNAME",
                            value=f"web-{p}.test.cloud.internal", ttl=300, host_id=f"h-{p}", kind="business",
                            state="active"))
        s.add(DnsRecord(id="r-own", fqdn="web-alpha.test.cloud.internal", type="A", value="10.213.0.5", ttl=3600,
                        host_id="h-alpha", kind="host", state="active"))
    api.alpha = TokenStore(api.svc.operations.db).create("op-alpha", "operator", ["alpha"])
    log_in(api, api.admin)
    return api


def page(api, path: str) -> str:
    resp = api.get(path)
    assert resp.status_code == 200, path
    return resp.get_data(as_text=True)


def remove(api, ref: str, **form):
    csrf = csrf_of(api.get("/ui/"))
    return api.post(f"/ui/dns/{ref}/remove", data={**form, "csrf_token": csrf})


def test_a_name_page_shows_its_record_and_host_by_id_or_by_fqdn(names):
    api = names
    shown = page(api, "/ui/dns/r-alpha")
    assert "CNAME" in shown and "web-alpha.test.cloud.internal" in shown and "300 s" in shown
    assert "business" in shown and 'href="/ui/hosts/h-alpha">web-alpha</a>' in shown
    assert "r-alpha" in page(api, "/ui/dns/www-alpha.test.cloud.internal")


def test_the_names_tables_link_to_the_name_page(names):
    api = names
    assert 'href="/ui/dns/r-alpha"' in page(api, "/ui/dns")
    assert 'href="/ui/dns/r-own"' in page(api, "/ui/hosts/h-alpha")


def test_another_projects_name_answers_404_like_an_unknown_one(names):
    api = names
    log_in(api, api.alpha)
    assert api.get("/ui/dns/r-alpha").status_code == 200
    assert api.get("/ui/dns/r-beta").status_code == 404
    assert api.get("/ui/dns/www-beta.test.cloud.internal").status_code == 404
    assert api.get("/ui/dns/nothing.test.cloud.internal").status_code == 404
    assert remove(api, "r-beta", action="confirm").status_code == 404
    assert api.svc.operations.list()[1] == 0


def test_removing_a_name_is_reviewed_before_anything_is_recorded(names):
    api = names
    resp = remove(names, "r-alpha")
    shown = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "CNAME web-alpha.test.cloud.internal" in shown and 'value="confirm"' in shown
    assert api.svc.operations.list()[1] == 0


def test_a_confirmed_removal_is_submitted_like_the_apis(names):
    api = names
    resp = remove(api, "r-alpha", action="confirm")
    assert resp.status_code == 303
    op = api.svc.operations.get(resp.location.rsplit("/", 1)[-1])
    assert op["kind"] == "remove_domain_name" and op["host_id"] == "h-alpha"
    assert op["params"]["fqdn"] == "www-alpha.test.cloud.internal"
    assert op["source"] == "dashboard" and op["requester"] == "admin"


def test_a_hosts_own_name_has_no_remove_form_and_says_why(names):
    api = names
    shown = page(api, "/ui/dns/r-own")
    assert "/remove" not in shown and "removed when the host is reclaimed" in shown
    resp = remove(api, "r-own", action="confirm")
    assert resp.status_code == 409 and "removed when the host is reclaimed" in resp.get_data(as_text=True)
    assert api.svc.operations.list()[1] == 0


def test_a_viewer_sees_the_name_but_no_form_and_may_not_post(names):
    api = names
    log_in(api, api.viewer)
    shown = page(api, "/ui/dns/r-alpha")
    assert re.findall(r'<form[^>]*method="post" action="([^"]+)"', shown) == ["/ui/logout"]
    assert remove(api, "r-alpha", action="confirm").status_code == 403
    assert api.svc.operations.list()[1] == 0
