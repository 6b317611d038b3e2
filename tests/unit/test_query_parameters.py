"""A route's query parameters are the ones it takes: an unknown one, or a dry run asked of
an operation that has no plan, is refused and nothing is done."""
import uuid

import pytest

from infra.db.models import Host, Volume
from tests.fakes import record_only

RESIZE = {"flavor": {"vcpus": 2, "ram_mb": 512, "disk_gb": 1}}


@pytest.fixture
def host(api):
    record_only(api.svc)
    with api.svc.operations.db.session() as s:
        s.add(Host(id="h1", name="web1", env="test", project="default", fqdn="web1.test", state="active",
                   hypervisor="hv1", image_id="i", vcpus=1, ram_mb=256, disk_gb=1,
                   addresses=[{"network": "vm", "address": "10.213.0.5", "cidr": "10.213.0.5/24"}]))
        s.add(Volume(id="v1", name="data", env="test", size_gb=1, state="available", hypervisor="hv1"))
    return "h1"


def send(api, method, path, body=None):
    """As a client of the API: each call with a new Idempotency-Key."""
    return api.open(path, method=method, json=body,
                    headers={"Authorization": f"Bearer {api.admin}", "Idempotency-Key": str(uuid.uuid4())})


def operations(api) -> list:
    return api.svc.operations.list()[0]


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/v1/hosts/h1/resize", RESIZE),
    ("POST", "/v1/hosts/h1/names", {"fqdn": "shop.test.cloud.internal", "type": "CNAME"}),
    ("POST", "/v1/hosts/h1/shares", {"name": "data"}),
    ("POST", "/v1/volumes/v1/backups", {}),
    ("POST", "/v1/hosts/h1/snapshot", {"name": "s1"}),
])
def test_a_dry_run_of_an_operation_without_a_plan_is_refused_and_changes_nothing(api, host, method, path, body):
    resp = send(api, method, f"{path}?dry_run=true", body)
    assert resp.status_code == 422 and resp.json["error"]["code"] == "dry_run_not_supported"
    assert operations(api) == [] and api.svc.hosts.get("h1")["state"] == "active"


def test_an_unknown_parameter_is_400_and_changes_nothing(api, host):
    resp = send(api, "POST", "/v1/hosts/h1/resize?dryrun=true", RESIZE)
    assert resp.status_code == 400 and resp.json["error"]["code"] == "unknown_parameter"
    assert resp.json["error"]["details"] == {"unknown": ["dryrun"]}
    assert operations(api) == []


def test_a_typo_of_a_known_parameter_is_refused_on_a_route_that_takes_others(api, host):
    resp = send(api, "DELETE", "/v1/hosts/h1?delete_volume=true")
    assert resp.status_code == 400 and "delete_volumes" in resp.json["error"]["message"]
    assert api.svc.hosts.get("h1")["state"] == "active"


def test_the_parameters_a_route_takes_still_work(api, host):
    assert send(api, "GET", "/v1/hosts?include_deleted=true").status_code == 200
    assert send(api, "GET", "/v1/operations?limit=5").status_code == 200
    assert send(api, "GET", "/v1/backups?volume_id=v1").status_code == 200


def test_the_api_document_names_exactly_the_parameters_each_route_takes(api):
    from api.openapi.document import document
    from api.query import ANY, SOURCES, TAKES

    urls = api.application.url_map.bind("localhost")
    for path, item in document()["paths"].items():
        for method, op in ((m, o) for m, o in item.items() if m in {"get", "post", "put", "patch", "delete"}):
            endpoint, _ = urls.match(path.replace("{", "").replace("}", ""), method=method.upper())
            takes = TAKES.get(endpoint, frozenset())
            if endpoint.split(".")[0] in SOURCES or takes is ANY:
                continue
            documented = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
            assert documented == takes, f"{method.upper()} {path}"
