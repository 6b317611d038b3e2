"""The dashboard's sessions end on the server: a cookie copied before a logout is refused
after it. Failed logins are limited per client address, in the database (every API worker
process counts alike): over the limit, a login gets 429 and Retry-After, its token unread."""
from datetime import timedelta

from infra.db.models import UiLoginFailure, UiSession, utcnow
from infra.db.ui_sessions import LoginLimiter, UiSessionStore
from tests.unit.test_dashboard_access import csrf_of, log_in


def log_in_from(client, address: str, token: str):
    env = {"REMOTE_ADDR": address}
    csrf = csrf_of(client.get("/ui/login", environ_base=env))
    return client.post("/ui/login", data={"token": token, "csrf_token": csrf}, environ_base=env)


def fail_logins(client, address: str, times: int) -> None:
    for _ in range(times):
        assert log_in_from(client, address, "hf_wrong").status_code == 401


def test_a_cookie_replayed_after_logout_is_refused(api):
    log_in(api, api.admin)
    thief = api.application.test_client()
    thief.set_cookie("session", api.get_cookie("session", path="/ui").value, path="/ui")
    assert thief.get("/ui/").status_code == 200
    api.post("/ui/logout", data={"csrf_token": csrf_of(api.get("/ui/"))})
    resp = thief.get("/ui/")
    assert resp.status_code == 302 and resp.location.startswith("/ui/login")


def test_the_sixth_failed_login_from_one_address_is_429_with_retry_after_and_its_token_unread(api, monkeypatch):
    fail_logins(api, "10.0.0.1", 5)
    looked_up = []
    lookup = api.svc.tokens.lookup
    monkeypatch.setattr(api.svc.tokens, "lookup", lambda token: looked_up.append(token) or lookup(token))
    resp = log_in_from(api, "10.0.0.1", api.admin)  # a good token: refused all the same
    assert resp.status_code == 429
    assert 0 < int(resp.headers["Retry-After"]) <= 300
    assert "Too many failed logins" in resp.get_data(as_text=True)
    assert looked_up == []
    assert api.get("/ui/").status_code == 302


def test_another_address_can_still_log_in_and_its_success_frees_no_other(api):
    fail_logins(api, "10.0.0.1", 5)
    assert log_in_from(api, "10.0.0.1", api.admin).status_code == 429
    resp = log_in_from(api.application.test_client(), "10.0.0.2", api.admin)
    assert resp.status_code == 302 and resp.location == "/ui/"
    assert log_in_from(api, "10.0.0.1", api.admin).status_code == 429


def test_a_success_within_the_limit_works_and_is_not_counted_as_a_failure(api):
    fail_logins(api, "10.0.0.1", 4)
    resp = log_in_from(api, "10.0.0.1", api.admin)
    assert resp.status_code == 302 and resp.location == "/ui/"
    fail_logins(api, "10.0.0.1", 1)  # the fifth failure: still answered
    assert log_in_from(api, "10.0.0.1", api.admin).status_code == 429


def test_failures_age_out_of_the_window_and_old_rows_are_pruned(db):
    limiter, start = LoginLimiter(db, max_failures=2, window_s=300), utcnow()
    limiter.attempt("10.0.0.1", now=start)
    limiter.attempt("10.0.0.1", now=start + timedelta(seconds=100))
    assert limiter.attempt("10.0.0.1", now=start + timedelta(seconds=200)) == (None, 100)
    attempt, _ = limiter.attempt("10.0.0.1", now=start + timedelta(seconds=301))
    assert attempt is not None
    with db.reading() as s:
        assert s.query(UiLoginFailure).count() == 2  # the first one, out of the window, is gone


def test_expired_and_ended_sessions_are_pruned(db):
    sessions, start = UiSessionStore(db), utcnow()
    old = sessions.start(60, now=start)
    ended = sessions.start(3600, now=start)
    sessions.end(ended, now=start)
    assert not sessions.live(ended, now=start)
    assert sessions.live(old, now=start) and not sessions.live(old, now=start + timedelta(seconds=61))
    kept = sessions.start(3600, now=start + timedelta(seconds=61))
    with db.reading() as s:
        assert [r.id for r in s.query(UiSession)] != [] and s.query(UiSession).count() == 1
    assert sessions.live(kept, now=start + timedelta(seconds=61))


def test_an_ipv6_client_is_counted_by_its_64(api):
    fail_logins(api, "2001:db8:1:2::1", 5)
    assert log_in_from(api, "2001:db8:1:2::ffff", api.admin).status_code == 429
    assert log_in_from(api, "2001:db8:1:3::1", api.admin).status_code == 302
