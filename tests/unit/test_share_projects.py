"""Shares belong to a project and an environment: a host gets at allocate, and may attach,
only its own project's shares of its environment; another project's share is, to a host
and to an operator token, the unknown share a name nobody recorded is. A read-only share
passed through with virtiofs is refused up front (libvirt 9.0 refuses to define it)."""
import dataclasses
import json
import uuid

import pytest
from alembic import command
from sqlalchemy import text

from flows.kinds import KINDS
from flows.runner import stores
from infra.db import migrate
from infra.db.engine import Database
from infra.db.models import Host, Share
from infra.db.shares import ShareStore
from infra.db.tokens import TokenStore
from tests.fakes import record_only
from tests.unit.test_dashboard_access import csrf_of, log_in
from tests.unit.test_dashboard_forms import field_error

FLAVOR = {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}


def call(client, method, path, body=None, token=None, key=None):
    headers = {"Authorization": f"Bearer {token or client.admin}", "Content-Type": "application/json",
               "Idempotency-Key": key or str(uuid.uuid4())}
    return client.open(path, method=method, data=json.dumps(body) if body is not None else None, headers=headers)


def with_driver(client, driver: str) -> None:
    client.svc.settings = dataclasses.replace(client.svc.settings, share_driver=driver)


@pytest.fixture
def owned(api):
    """Hosts of alpha and beta in env test; shares: alpha's `ours` (test) and `ours-prod`
    (prod), beta's `theirs` (test); an operator token of alpha."""
    record_only(api.svc)
    with_driver(api, "9p")
    with api.svc.operations.db.session() as s:
        for project in ("alpha", "beta"):
            s.add(Host(id=f"h-{project}", name=f"web-{project}", env="test", project=project,
                       fqdn=f"web-{project}.test", state="active", hypervisor="hv1", image_id="i",
                       vcpus=1, ram_mb=256, disk_gb=1))
        for name, project, env in (("ours", "alpha", "test"), ("ours-prod", "alpha", "prod"),
                                   ("theirs", "beta", "test")):
            s.add(Share(id=f"s-{name}", name=name, project=project, env=env, source=f"/srv/shares/{name}",
                        mount_point=f"/mnt/{name}"))
    api.alpha = TokenStore(api.svc.operations.db).create("alpha-op", "operator", ["alpha"])
    return api


def error(resp) -> tuple:
    return resp.status_code, resp.json["error"]["code"], resp.json["error"]["message"]


def as_unknown(resp, name: str, unknown: str = "nobody-has-it") -> tuple:
    """The response's error with the share's name put back: what an unknown name gets."""
    code, kind, message = error(resp)
    return code, kind, message.replace(repr(name), repr(unknown))


def nothing_recorded(client, host_id="h-alpha"):
    assert ShareStore(client.svc.operations.db).for_host(host_id) == []
    assert client.svc.operations.list()[1] == 0


# --- recording --------------------------------------------------------------------

def test_a_share_belongs_to_the_default_project_unless_one_is_named(api):
    with_driver(api, "9p")
    root = api.svc.settings.share_root_paths()[0]
    body = {"env": "test", "source": f"{root}/d", "mount_point": "/Data/d"}
    first = call(api, "POST", "/v1/shares", {**body, "name": "plain"})
    named = call(api, "POST", "/v1/shares", {**body, "name": "named", "project": "alpha"})
    assert first.status_code == named.status_code == 201
    assert (first.json["share"]["project"], named.json["share"]["project"]) == ("default", "alpha")
    bad = call(api, "POST", "/v1/shares", {**body, "name": "bad", "project": "Not_A_Label"})
    assert bad.status_code == 422


# --- allocate ------------------------------------------------------------------------

def allocate_ctx(client, project: str, env: str = "test") -> dict:
    resp = call(client, "POST", "/v1/hosts", {"name": f"web-{uuid.uuid4().hex[:6]}", "env": env, "image": "img",
                                              "flavor": FLAVOR, "project": project}, key=str(uuid.uuid4()))
    assert resp.status_code == 202, resp.json
    op = client.svc.operations.get(resp.json["operation"]["id"])
    return KINDS["allocate_host"].context(op, stores(client.svc.settings), client.svc.settings)


def test_allocate_gets_only_the_shares_of_its_project_and_environment(owned):
    alpha = allocate_ctx(owned, "alpha")
    assert [s["name"] for s in alpha["shares"]] == ["ours"] and alpha["share_ids"] == ["s-ours"]
    beta = allocate_ctx(owned, "beta")
    assert [s["name"] for s in beta["shares"]] == ["theirs"] and beta["share_ids"] == ["s-theirs"]
    other = allocate_ctx(owned, "gamma")
    assert other["shares"] == [] and other["share_ids"] == []


def test_allocate_in_another_environment_gets_that_environments_shares_of_the_project(owned):
    assert [s["name"] for s in allocate_ctx(owned, "alpha", env="prod")["shares"]] == ["ours-prod"]
    assert allocate_ctx(owned, "beta", env="prod")["shares"] == []


# --- attach and detach -----------------------------------------------------------------

@pytest.mark.parametrize("who", ["admin", "alpha"])
def test_attaching_another_projects_share_is_refused_as_an_unknown_one(owned, who):
    token = owned.admin if who == "admin" else owned.alpha
    theirs = call(owned, "POST", "/v1/hosts/h-alpha/shares", {"name": "theirs"}, token=token)
    unknown = call(owned, "POST", "/v1/hosts/h-alpha/shares", {"name": "nobody-has-it"}, token=token)
    assert error(theirs)[:2] == (422, "unknown_share")
    assert as_unknown(theirs, "theirs") == error(unknown)
    assert theirs.json["error"].get("details") == unknown.json["error"].get("details")
    nothing_recorded(owned)


def test_the_own_projects_share_is_attached(owned):
    resp = call(owned, "POST", "/v1/hosts/h-alpha/shares", {"name": "ours"}, token=owned.alpha)
    assert resp.status_code == 202, resp.json
    op = owned.svc.operations.get(resp.json["operation"]["id"])
    assert op["kind"] == "attach_share" and op["params"] == {"host_id": "h-alpha", "share": "ours"}


def test_the_refusal_comes_before_the_environment_check(owned):
    """Another project's share of another environment: still unknown_share, not share_other_env."""
    with owned.svc.operations.db.session() as s:
        s.add(Share(id="s-far", name="far", project="beta", env="prod", source="/srv/shares/far", mount_point="/f"))
    resp = call(owned, "POST", "/v1/hosts/h-alpha/shares", {"name": "far"}, token=owned.alpha)
    assert error(resp)[:2] == (422, "unknown_share")


def test_detaching_another_projects_share_is_not_found_as_an_unknown_one(owned):
    theirs = call(owned, "DELETE", "/v1/hosts/h-alpha/shares/theirs", token=owned.alpha)
    unknown = call(owned, "DELETE", "/v1/hosts/h-alpha/shares/nobody-has-it", token=owned.alpha)
    assert error(theirs)[:2] == (404, "unknown_share")
    assert as_unknown(theirs, "theirs") == error(unknown)
    nothing_recorded(owned)


def test_a_share_attached_before_owners_still_detaches(owned):
    """Before migration 0012 every project's hosts got their environment's shares: taking
    one away again is allowed (it reveals nothing the host did not have)."""
    ShareStore(owned.svc.operations.db).set_host("h-alpha", ["s-theirs"])
    resp = call(owned, "DELETE", "/v1/hosts/h-alpha/shares/theirs", token=owned.alpha)
    assert resp.status_code == 202, resp.json


# --- listing ------------------------------------------------------------------------------

def names(resp) -> list[str]:
    assert resp.status_code == 200, resp.json
    return [s["name"] for s in resp.json["shares"]]


def test_an_operator_lists_only_its_projects_shares(owned):
    assert names(call(owned, "GET", "/v1/shares", token=owned.alpha)) == ["ours", "ours-prod"]
    assert names(call(owned, "GET", "/v1/shares?env=test", token=owned.alpha)) == ["ours"]
    everyone = ["ours", "ours-prod", "theirs"]
    assert names(call(owned, "GET", "/v1/shares", token=owned.admin)) == everyone
    assert names(call(owned, "GET", "/v1/shares", token=owned.viewer)) == everyone
    nobody = TokenStore(owned.svc.operations.db).create("gamma-op", "operator", ["gamma"])
    assert names(call(owned, "GET", "/v1/shares", token=nobody)) == []


def test_an_operator_gets_another_projects_share_as_an_unknown_one(owned):
    theirs = call(owned, "GET", "/v1/shares/theirs", token=owned.alpha)
    unknown = call(owned, "GET", "/v1/shares/nobody-has-it", token=owned.alpha)
    assert error(theirs)[:2] == (404, "unknown_share") and as_unknown(theirs, "theirs") == error(unknown)
    assert call(owned, "GET", "/v1/shares/ours", token=owned.alpha).json["share"]["project"] == "alpha"
    assert call(owned, "GET", "/v1/shares/theirs", token=owned.viewer).status_code == 200


# --- the dashboard -------------------------------------------------------------------------

def test_the_dashboard_offers_and_attaches_only_the_hosts_projects_shares(owned):
    log_in(owned, owned.alpha)
    page = owned.get("/ui/hosts/h-alpha").get_data(as_text=True)
    select = page.split('id="share"', 1)[1].split("</select>")[0]
    assert 'value="ours"' in select and "theirs" not in select
    csrf = csrf_of(owned.get("/ui/hosts/h-alpha"))
    for step in ("plan", "confirm"):
        resp = owned.post("/ui/hosts/h-alpha/shares/attach", data={"share": "theirs", "action": step,
                                                                   "csrf_token": csrf})
        assert resp.status_code == 422 and "not found" in field_error(resp.get_data(as_text=True), "share")
        assert "/srv/shares/theirs" not in resp.get_data(as_text=True)
    nothing_recorded(owned)


# --- the migration ---------------------------------------------------------------------------

def test_the_migration_gives_existing_shares_the_default_project(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(migrate.alembic_config(url), "0011")
    db = Database(url)
    with db.session() as s:
        s.execute(text("INSERT INTO shares (id, name, env, source, mount_point, read_only, mode, created_at) "
                       "VALUES ('s1', 'data', 'test', '/srv/shares/data', '/Data/x', 0, 'passthrough', "
                       "'2024-01-01 00:00:00')"))
        s.execute(text("INSERT INTO host_shares (host_id, share_id, created_at) "
                       "VALUES ('h1', 's1', '2024-01-01 00:00:00')"))
    db.dispose()
    migrate.upgrade(url)
    db = Database(url)
    store = ShareStore(db)
    share, attached = store.get("data"), store.for_host("h1")
    listed = store.list("test", projects=["default"])
    db.dispose()
    assert share["project"] == "default" and [s["name"] for s in attached] == ["data"]
    assert [s["name"] for s in listed] == ["data"]


# --- read-only over virtiofs ---------------------------------------------------------------

def ro_body(client, **over):
    root = client.svc.settings.share_root_paths()[0]
    return {"name": "docs", "env": "test", "source": f"{root}/docs", "mount_point": "/Docs", "read_only": True,
            **over}


def test_a_read_only_share_is_refused_where_the_driver_is_virtiofs(api):
    with_driver(api, "virtiofs")
    resp = call(api, "POST", "/v1/shares", ro_body(api))
    assert error(resp)[:2] == (422, "read_only_virtiofs_unsupported")
    assert "virtiofs does not yet support read-only mode" in resp.json["error"]["message"]
    assert call(api, "GET", "/v1/shares").json["shares"] == []


@pytest.mark.parametrize(("driver", "over"), [("9p", {}), ("virtiofs", {"mode": "nfs"}),
                                              ("virtiofs", {"read_only": False})])
def test_read_only_over_9p_or_nfs_and_read_write_over_virtiofs_are_recorded(api, driver, over):
    with_driver(api, driver)
    assert call(api, "POST", "/v1/shares", ro_body(api, **over)).status_code == 201


def test_auto_is_virtiofs_where_the_node_has_virtiofsd(api, monkeypatch):
    import operations.bootstrap

    with_driver(api, "auto")
    monkeypatch.setattr(operations.bootstrap, "virtiofsd", lambda: "/usr/lib/qemu/virtiofsd")
    assert error(call(api, "POST", "/v1/shares", ro_body(api)))[1] == "read_only_virtiofs_unsupported"
    monkeypatch.setattr(operations.bootstrap, "virtiofsd", lambda: None)
    assert call(api, "POST", "/v1/shares", ro_body(api)).status_code == 201


def test_attaching_a_read_only_share_recorded_before_is_refused_over_virtiofs(owned):
    with owned.svc.operations.db.session() as s:
        s.add(Share(id="s-docs", name="docs", project="alpha", env="test", source="/srv/shares/docs",
                    mount_point="/Docs", read_only=True))
    with_driver(owned, "virtiofs")
    resp = call(owned, "POST", "/v1/hosts/h-alpha/shares", {"name": "docs"}, token=owned.alpha)
    assert error(resp)[:2] == (422, "read_only_virtiofs_unsupported")
    nothing_recorded(owned)
    with_driver(owned, "9p")
    assert call(owned, "POST", "/v1/hosts/h-alpha/shares", {"name": "docs"}, token=owned.alpha).status_code == 202

