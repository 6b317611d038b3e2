"""The dashboard's door: a token logs in, a bad one does not; every form carries a CSRF
token; a viewer gets no forms; another project's host is a 404 like an unknown one."""
import re

import pytest

from infra.db.models import Host
from infra.db.tokens import TokenStore


def csrf_of(resp) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', resp.get_data(as_text=True)).group(1)


def log_in(client, token: str):
    csrf = csrf_of(client.get("/ui/login"))
    return client.post("/ui/login", data={"token": token, "csrf_token": csrf})


@pytest.fixture
def two_projects(api):
    with api.svc.operations.db.session() as s:
        for project in ("alpha", "beta"):
            s.add(Host(id=f"h-{project}", name=f"web-{project}", env="test", project=project,
                       fqdn=f"web-{project}.test", state="active", hypervisor="hv1", image_id="i",
                       vcpus=1, ram_mb=256, disk_gb=1))
    api.alpha = TokenStore(api.svc.operations.db).create("op-alpha", "operator", ["alpha"])
    return api


def test_pages_send_an_anonymous_visitor_to_the_login_page(api):
    resp = api.get("/ui/hosts")
    assert resp.status_code == 302 and resp.location.startswith("/ui/login")


def test_a_good_token_logs_in_with_an_httponly_samesite_cookie_that_holds_no_token(api):
    resp = log_in(api, api.admin)
    cookie = resp.headers["Set-Cookie"]
    assert resp.status_code == 302 and resp.location == "/ui/"
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/ui" in cookie
    assert api.admin not in cookie
    assert api.get("/ui/").status_code == 200


def test_the_cookie_is_secure_when_the_dashboard_is_served_over_https(api):
    csrf = csrf_of(api.get("/ui/login", base_url="https://localhost"))
    resp = api.post("/ui/login", data={"token": api.admin, "csrf_token": csrf}, base_url="https://localhost")
    assert "; Secure" in resp.headers["Set-Cookie"]
    assert "; Secure" not in log_in(api.application.test_client(), api.admin).headers["Set-Cookie"]


def test_a_bad_token_is_refused_with_a_message_and_no_session(api):
    resp = log_in(api, "hf_wrong")
    assert resp.status_code == 401
    assert "unknown or revoked" in resp.get_data(as_text=True)
    assert api.get("/ui/").status_code == 302


def test_a_revoked_token_ends_its_session(api):
    log_in(api, api.viewer)
    token_id = next(t["id"] for t in api.svc.tokens.list() if t["name"] == "v")
    api.svc.tokens.revoke(token_id)
    assert api.get("/ui/").status_code == 302


def test_a_post_without_the_csrf_token_is_refused(api):
    api.get("/ui/login")
    resp = api.post("/ui/login", data={"token": api.admin})
    assert resp.status_code == 400
    assert "CSRF" in resp.get_data(as_text=True)
    assert api.get("/ui/").status_code == 302


def test_a_post_with_another_sessions_csrf_token_is_refused(api):
    log_in(api, api.admin)
    other = api.application.test_client()
    stolen = csrf_of(other.get("/ui/login"))
    resp = api.post("/ui/logout", data={"csrf_token": stolen})
    assert resp.status_code == 400
    assert api.get("/ui/").status_code == 200


def test_logout_ends_the_session(api):
    log_in(api, api.admin)
    api.post("/ui/logout", data={"csrf_token": csrf_of(api.get("/ui/"))})
    assert api.get("/ui/").status_code == 302


def test_a_viewer_sees_no_forms_and_its_posts_are_refused(two_projects):
    api = two_projects
    log_in(api, api.viewer)
    page = api.get("/ui/hosts/h-alpha").get_data(as_text=True)
    assert "web-alpha" in page
    assert re.findall(r'<form[^>]*method="post" action="([^"]+)"', page) == ["/ui/logout"]
    csrf = csrf_of(api.get("/ui/"))
    assert api.get("/ui/hosts/new").status_code == 403
    resp = api.post("/ui/hosts/h-alpha/reclaim", data={"csrf_token": csrf, "confirm_name": "web-alpha"})
    assert resp.status_code == 403
    assert api.svc.hosts.get("h-alpha")["state"] == "active"


def test_another_projects_host_answers_404_like_an_unknown_one(two_projects):
    api = two_projects
    log_in(api, api.alpha)
    assert api.get("/ui/hosts/h-alpha").status_code == 200
    assert api.get("/ui/hosts/h-beta").status_code == 404
    assert api.get("/ui/hosts/h-none").status_code == 404
    listing = api.get("/ui/hosts").get_data(as_text=True)
    assert "web-alpha" in listing and "web-beta" not in listing


def test_another_projects_operation_answers_404_and_is_not_listed(two_projects):
    api = two_projects
    ops = api.svc.operations
    own, _ = ops.create("reclaim_host", "k-alpha", {"host_id": "h-alpha"}, host_id="h-alpha", source="api",
                        requester="admin")
    other, _ = ops.create("reclaim_host", "k-beta", {"host_id": "h-beta"}, host_id="h-beta", source="api",
                          requester="admin")
    log_in(api, api.alpha)
    assert api.get(f"/ui/operations/{own['id']}").status_code == 200
    assert api.get(f"/ui/operations/{other['id']}").status_code == 404
    assert api.get(f"/ui/operations/{other['id']}/live").status_code == 404
    listing = api.get("/ui/operations/live").get_data(as_text=True)
    assert own["id"] in listing and other["id"] not in listing


def test_pages_may_not_be_framed_nor_run_script_from_elsewhere(api):
    resp = api.get("/ui/login")
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"


class Clock:
    def __init__(self, monkeypatch):
        import api.ui.blueprint as blueprint
        self.now = 1_000_000.0
        monkeypatch.setattr(blueprint.time, "time", lambda: self.now)


def test_a_session_left_idle_too_long_ends(api, monkeypatch):
    clock = Clock(monkeypatch)
    log_in(api, api.admin)
    clock.now += api.svc.settings.ui_session_idle_s - 1
    assert api.get("/ui/").status_code == 200
    clock.now += api.svc.settings.ui_session_idle_s + 1
    assert api.get("/ui/").status_code == 302


def test_a_session_in_use_still_ends_at_its_absolute_limit(api, monkeypatch):
    clock = Clock(monkeypatch)
    log_in(api, api.admin)
    for _ in range(api.svc.settings.ui_session_max_s // api.svc.settings.ui_session_idle_s):
        clock.now += api.svc.settings.ui_session_idle_s - 1
        assert api.get("/ui/").status_code == 200
    clock.now += api.svc.settings.ui_session_idle_s - 1
    assert api.get("/ui/").status_code == 302
