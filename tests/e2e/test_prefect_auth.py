"""The stack's Prefect server asks every caller for its auth string
(PREFECT_SERVER_API_AUTH_STRING); hostflow's processes send it (the deployments and
flow runs the other e2e tests drive could not register or report without it)."""
import requests

from tests.e2e.conftest import prefect_auth

FILTER = {"limit": 1}


def test_the_prefect_api_refuses_a_caller_without_the_auth_string(settings):
    resp = requests.post(f"{settings.prefect_api_url}/deployments/filter", json=FILTER, timeout=10)
    assert resp.status_code == 401, resp.text


def test_the_prefect_api_refuses_a_wrong_auth_string(settings):
    user, _ = prefect_auth()
    resp = requests.post(f"{settings.prefect_api_url}/deployments/filter", json=FILTER, timeout=10,
                         auth=(user, "not-the-password"))
    assert resp.status_code == 401, resp.text


def test_the_prefect_api_answers_the_auth_string(settings):
    resp = requests.post(f"{settings.prefect_api_url}/deployments/filter", json=FILTER, timeout=10,
                         auth=prefect_auth())
    assert resp.status_code == 200, resp.text


def test_hostflow_deployments_registered_with_it(settings):
    resp = requests.get(f"{settings.prefect_api_url}/deployments/name/hostflow-operation/hostflow", timeout=10,
                        auth=prefect_auth())
    assert resp.status_code == 200, resp.text
    assert resp.json()["paused"] is False
