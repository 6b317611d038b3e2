"""GET /v1/operations, and that every command of the grammar names an endpoint the API serves."""
import pytest

from cli.calls import calls
from cli.grammar import parse
from cli.runner import fill_path

CTX = {"host": {"id": "h1"}, "volume": {"id": "v1"}}


def get(client, query="", token=None):
    return client.get(f"/v1/operations{query}", headers={"Authorization": f"Bearer {token or client.admin}"})


@pytest.fixture
def ops(api):
    store = api.svc.operations
    made = [store.create(kind, f"key-{i}", {"i": i})[0] for i, kind in
            enumerate(["allocate_host", "reclaim_host", "allocate_host", "create_volume"])]
    store.transition(made[0]["id"], {"queued"}, "failed", error_code="no_capacity", error_message="full")
    return [op["id"] for op in made]


def test_newest_first_without_steps(api, ops):
    resp = get(api, token=api.viewer)
    assert resp.status_code == 200
    assert [op["id"] for op in resp.json["operations"]] == ops[::-1]
    assert resp.json["total"] == 4
    first = resp.json["operations"][-1]
    assert first["error"] == {"code": "no_capacity", "message": "full"}
    assert first["url"] == f"/v1/operations/{ops[0]}"
    assert not {"steps", "fingerprint", "progress"} & set(first)


def test_filters_and_limit(api, ops):
    assert [op["id"] for op in get(api, "?kind=allocate_host").json["operations"]] == [ops[2], ops[0]]
    assert [op["id"] for op in get(api, "?state=failed").json["operations"]] == [ops[0]]
    limited = get(api, "?state=queued&limit=2").json
    assert [op["id"] for op in limited["operations"]] == [ops[3], ops[2]] and limited["total"] == 3


@pytest.mark.parametrize("query, code", [("?limit=0", "invalid_request"), ("?limit=501", "invalid_request"),
                                         ("?limit=x", "invalid_request"), ("?host=h1", "unknown_filter")])
def test_bad_queries_are_refused(api, query, code):
    resp = get(api, query)
    assert resp.status_code == 422 and resp.json["error"]["code"] == code


def test_a_token_is_required(api):
    assert api.get("/v1/operations").status_code == 401


@pytest.mark.parametrize("text", [
    "allocate web1 2c4g", "reclaim web1", "resize web1 2c4g", "resize web1 confirm", "resize web1 revert",
    "attach web1 10g", "attach web1 volume=v1", "detach web1 v1", "rebuild web1 img", "snapshot web1 s1",
    "dns web1 shop.test.cloud.internal", "status op1", "hosts",
])
def test_every_command_names_an_endpoint_the_api_serves(api, text):
    urls = api.application.url_map.bind("localhost")
    for call in calls(parse(text)):
        endpoint, _ = urls.match(fill_path(call.path, CTX), method=call.method)
        assert endpoint


def test_a_limit_in_other_digits_is_a_422_not_a_crash(api):
    resp = api.get("/v1/operations?limit=%C2%B2", headers={"Authorization": f"Bearer {api.admin}"})
    assert resp.status_code == 422
