"""Whom the dashboard's login limit counts (api.client_address): the direct peer, or,
behind a reverse proxy named in HOSTFLOW_TRUSTED_PROXIES, the client that proxy saw."""
import pytest

from api.app import create_app
from api.client_address import client_ip, trusted_networks
from infra.db import migrate
from infra.db.tokens import TokenStore
from infra.errors import Invalid
from infra.settings import Settings
from tests.unit.test_dashboard_access import csrf_of

PROXIES = trusted_networks("10.9.0.0/24, 2001:db8:9::1")


def test_without_trusted_proxies_the_forwarded_header_is_not_read():
    assert client_ip("203.0.113.7", "198.51.100.1", ()) == "203.0.113.7"


def test_a_peer_that_is_no_trusted_proxy_is_the_client_whatever_it_forwards():
    assert client_ip("203.0.113.7", "198.51.100.1", PROXIES) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_client_is_the_rightmost_untrusted_hop():
    """Entries left of it were written by the client itself."""
    assert client_ip("10.9.0.2", "1.2.3.4, 198.51.100.1, 10.9.0.5", PROXIES) == "198.51.100.1"


def test_a_trusted_proxy_without_the_header_is_itself_the_client():
    assert client_ip("2001:db8:9::1", "", PROXIES) == "2001:db8:9::1"


def test_a_chain_of_trusted_proxies_only_ends_at_its_first_hop():
    assert client_ip("10.9.0.2", "10.9.0.3, 10.9.0.4", PROXIES) == "10.9.0.3"


def test_a_bad_trusted_proxies_setting_stops_the_api_at_start(tmp_path):
    settings = Settings.from_env({"HOSTFLOW_STATE_DIR": str(tmp_path), "HOSTFLOW_TRUSTED_PROXIES": "10.9.0.0/33"})
    with pytest.raises(Invalid) as info:
        create_app(settings)
    assert info.value.code == "trusted_proxies_invalid"


@pytest.fixture
def behind_proxy(tmp_path):
    settings = Settings.from_env({"HOSTFLOW_STATE_DIR": str(tmp_path), "HOSTFLOW_REDIS_URL": "redis://127.0.0.1:1/0",
                                  "HOSTFLOW_TRUSTED_PROXIES": "10.9.0.0/24"})
    migrate.upgrade(settings.database_url)
    client = create_app(settings).test_client()
    client.admin = TokenStore(client.application.extensions["hostflow"].operations.db).create("admin", "admin")
    return client


def log_in_via(client, peer: str, forwarded_for: str, token: str):
    env = {"REMOTE_ADDR": peer}
    headers = {"X-Forwarded-For": forwarded_for}
    csrf = csrf_of(client.get("/ui/login", environ_base=env, headers=headers))
    return client.post("/ui/login", data={"token": token, "csrf_token": csrf}, environ_base=env, headers=headers)


def test_clients_behind_one_trusted_proxy_are_limited_each_on_its_own(behind_proxy):
    for _ in range(5):
        assert log_in_via(behind_proxy, "10.9.0.2", "198.51.100.1", "hf_wrong").status_code == 401
    assert log_in_via(behind_proxy, "10.9.0.2", "198.51.100.1", behind_proxy.admin).status_code == 429
    assert log_in_via(behind_proxy, "10.9.0.2", "198.51.100.2", behind_proxy.admin).status_code == 302


def test_a_direct_client_cannot_escape_the_limit_by_forging_the_header(behind_proxy):
    for n in range(5):
        assert log_in_via(behind_proxy, "203.0.113.7", f"198.51.100.{n}", "hf_wrong").status_code == 401
    assert log_in_via(behind_proxy, "203.0.113.7", "198.51.100.99", behind_proxy.admin).status_code == 429
