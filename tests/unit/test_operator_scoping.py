"""An operator token acts only on its own projects' hosts and volumes; for another
project's it gets the very 404 an unknown id gets, and nothing changes."""
import uuid

import pytest

from infra.db.models import Backup, Host, Volume
from infra.db.tokens import TokenStore

FLAVOR = {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}


@pytest.fixture
def scoped(api):
    db = api.svc.operations.db
    with db.session() as s:
        for project in ("alpha", "beta"):
            s.add(Host(id=f"h-{project}", name=f"web-{project}", env="test", project=project,
                       fqdn=f"web-{project}.test", state="active", hypervisor="hv1", image_id="i",
                       vcpus=1, ram_mb=256, disk_gb=1))
            s.add(Volume(id=f"v-{project}", name=f"data-{project}", env="test", project=project, size_gb=1,
                         state="available", hypervisor="hv1"))
            s.add(Backup(id=f"b-{project}", name="b", volume_id=f"v-{project}", state="available", size_gb=1,
                         chunk_size=1 << 20, bucket="backups", manifest="m"))
    tokens = TokenStore(db)
    api.alpha = tokens.create("op-alpha", "operator", ["alpha"])
    api.beta = tokens.create("op-beta", "operator", ["beta"])
    return api


def call(api, token, method, path, body=None):
    """As a client of the API: each call with a new Idempotency-Key."""
    return api.open(path, method=method, json=body,
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})


def ids(resp, key):
    return sorted(row["id"] for row in resp.get_json()[key])


def test_an_operator_lists_only_its_projects_hosts_volumes_and_backups(scoped):
    assert ids(call(scoped, scoped.alpha, "GET", "/v1/hosts"), "hosts") == ["h-alpha"]
    assert ids(call(scoped, scoped.beta, "GET", "/v1/hosts"), "hosts") == ["h-beta"]
    assert ids(call(scoped, scoped.alpha, "GET", "/v1/volumes"), "volumes") == ["v-alpha"]
    assert ids(call(scoped, scoped.alpha, "GET", "/v1/backups"), "backups") == ["b-alpha"]
    assert ids(call(scoped, scoped.admin, "GET", "/v1/hosts"), "hosts") == ["h-alpha", "h-beta"]
    assert ids(call(scoped, scoped.viewer, "GET", "/v1/volumes"), "volumes") == ["v-alpha", "v-beta"]


@pytest.mark.parametrize("path", ["/v1/hosts/{h}", "/v1/volumes/{v}", "/v1/backups/{b}", "/v1/hosts/{h}/shares",
                                  "/v1/hosts/{h}/power-events", "/v1/hosts/{h}/console/sessions"])
def test_another_projects_resource_is_indistinguishable_from_an_unknown_one(scoped, path):
    own = call(scoped, scoped.alpha, "GET", path.format(h="h-alpha", v="v-alpha", b="b-alpha"))
    other = call(scoped, scoped.alpha, "GET", path.format(h="h-beta", v="v-beta", b="b-beta"))
    unknown = call(scoped, scoped.alpha, "GET", path.format(h="h-none", v="v-none", b="b-none"))
    assert own.status_code == 200
    assert other.status_code == unknown.status_code == 404
    assert other.get_data(as_text=True).replace("-beta", "-none") == unknown.get_data(as_text=True)


def test_another_projects_console_is_404_before_any_node_is_asked(scoped):
    other = call(scoped, scoped.alpha, "GET", "/v1/hosts/h-beta/console")
    unknown = call(scoped, scoped.alpha, "GET", "/v1/hosts/h-none/console")
    assert other.status_code == unknown.status_code == 404


WRITES = [
    ("DELETE", "/v1/hosts/h-beta", None),
    ("POST", "/v1/hosts/h-beta/resize", {"flavor": {"vcpus": 2, "ram_mb": 512, "disk_gb": 2}}),
    ("POST", "/v1/hosts/h-beta/resize/confirm", None),
    ("POST", "/v1/hosts/h-beta/resize/revert", None),
    ("POST", "/v1/hosts/h-beta/rebuild", {"image": "img"}),
    ("POST", "/v1/hosts/h-beta/snapshot", {"name": "snap"}),
    ("POST", "/v1/hosts/h-beta/volumes", {"volume_id": "v-beta"}),
    ("POST", "/v1/hosts/h-alpha/volumes", {"volume_id": "v-beta"}),  # own host, their volume
    ("POST", "/v1/hosts/h-beta/volumes", {"volume_id": "v-alpha"}),  # their host, own volume
    ("DELETE", "/v1/hosts/h-beta/volumes/v-beta", None),
    ("POST", "/v1/volumes/v-beta/extend", {"size_gb": 5}),
    ("DELETE", "/v1/volumes/v-beta", None),
    ("POST", "/v1/volumes/v-beta/backups", {}),
    ("POST", "/v1/backups/b-beta/restore", {}),
    ("POST", "/v1/backups/b-alpha/restore", {"volume_id": "v-beta"}),  # onto their volume
    ("DELETE", "/v1/backups/b-beta", None),
    ("POST", "/v1/hosts/h-beta/names", {"fqdn": "www.test.cloud.internal", "type": "CNAME"}),
    ("DELETE", "/v1/hosts/h-beta/names/www.test.cloud.internal", None),
    ("POST", "/v1/hosts/h-beta/shares", {"name": "data"}),
    ("DELETE", "/v1/hosts/h-beta/shares/data", None),
    ("POST", "/v1/hosts/h-beta/console/token", None),
    *[("POST", "/v1/hosts/h-beta/actions", {"action": action}) for action in ("start", "stop", "reboot", "suspend",
                                                                             "resume", "pause", "unpause")],
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
def test_a_write_on_another_projects_resource_is_404_and_changes_nothing(scoped, method, path, body):
    svc = scoped.svc
    before = (svc.hosts.list(), svc.volumes.list(), svc.backups.list())
    resp = call(scoped, scoped.alpha, method, path, body)
    assert resp.status_code == 404, resp.get_data(as_text=True)
    assert (svc.hosts.list(), svc.volumes.list(), svc.backups.list()) == before
    assert svc.operations.list()[1] == 0


def test_a_write_on_its_own_project_passes_the_scope_check(scoped):
    resp = call(scoped, scoped.alpha, "POST", "/v1/hosts/h-alpha/resize", {"flavor": FLAVOR})
    assert resp.status_code == 422  # same flavor: the route's own validation, past scoping


@pytest.mark.parametrize(("path", "body"), [
    ("/v1/hosts", {"name": "web9", "env": "test", "image": "img", "flavor": FLAVOR, "project": "beta"}),
    ("/v1/hosts", {"name": "web9", "env": "test", "image": "img", "flavor": FLAVOR}),  # project "default"
    ("/v1/volumes", {"name": "d9", "size_gb": 1, "env": "test", "project": "beta"}),
])
def test_creating_in_another_project_is_403(scoped, path, body):
    resp = call(scoped, scoped.alpha, "POST", path, body)
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "project_not_allowed"
    assert scoped.svc.operations.list()[1] == 0


def test_an_operator_sees_only_operations_on_its_projects(scoped):
    ops = scoped.svc.operations
    mine, _ = ops.create("resize_host", "k-alpha", {"n": 1}, host_id="h-alpha")
    theirs, _ = ops.create("extend_volume", "k-beta", {"n": 2}, volume_id="v-beta")
    listed = call(scoped, scoped.alpha, "GET", "/v1/operations").get_json()
    assert [op["id"] for op in listed["operations"]] == [mine["id"]] and listed["total"] == 1
    assert call(scoped, scoped.alpha, "GET", f"/v1/operations/{theirs['id']}").status_code == 404
    assert call(scoped, scoped.alpha, "POST", f"/v1/operations/{theirs['id']}/retry").status_code == 404
    assert call(scoped, scoped.admin, "GET", "/v1/operations").get_json()["total"] == 2


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/v1/hosts/h-alpha/resize", {"flavor": {"vcpus": 2, "ram_mb": 512, "disk_gb": 2}}),
    ("DELETE", "/v1/volumes/v-alpha", None),
    ("POST", "/v1/tokens", {"name": "x", "role": "viewer"}),
])
def test_a_viewer_cannot_write(scoped, method, path, body):
    resp = call(scoped, scoped.viewer, method, path, body)
    assert resp.status_code == 403
    assert scoped.svc.operations.list()[1] == 0
