"""Image owners and visibility (Glance's private / shared / public): an operator token sees
and names only the images it may; another project's private image is the 404 an unknown
id gets, and the unknown_image of an allocation or rebuild; only the owner (or an admin)
changes an image; a public image's name is its own."""
import json
import uuid

import pytest
from alembic import command
from sqlalchemy import text

from infra.db import migrate
from infra.db.engine import Database
from infra.db.images import ImageStore
from infra.db.models import Host
from infra.db.tokens import TokenStore
from infra.errors import Invalid
from operations.hosts import submit_allocate
from operations.origin import Origin
from operations.requests import validate_allocate
from tests.fakes import record_only
from webhooks.chat.actions import Caller
from webhooks.chat.users import ChatUser

FLAVOR = {"vcpus": 1, "ram_mb": 256, "disk_gb": 1}


def add_image(client, name, project, visibility="private", status="active", **fields) -> str:
    return ImageStore(client.svc.operations.db).add(
        name=name, disk_format="qcow2", status=status, os_hash_value="00", location="s3://b/k",
        project=project, visibility=visibility, **fields)["id"]


@pytest.fixture
def owners(api):
    """Operators of alpha, beta and gamma, each with an active host; beta owns a private image."""
    record_only(api.svc)
    with api.svc.operations.db.session() as s:
        for project in ("alpha", "beta", "gamma"):
            s.add(Host(id=f"h-{project}", name=f"web-{project}", env="test", project=project,
                       fqdn=f"web-{project}.test", state="active", hypervisor="hv1", image_id="i",
                       vcpus=1, ram_mb=256, disk_gb=1, addresses=[]))
    tokens = TokenStore(api.svc.operations.db)
    api.alpha = tokens.create("op-alpha", "operator", ["alpha"])
    api.beta = tokens.create("op-beta", "operator", ["beta"])
    api.gamma = tokens.create("op-gamma", "operator", ["gamma"])
    api.theirs = add_image(api, "beta-disk", "beta")
    return api


def call(client, token, method, path, body=None, **kw):
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    if body is not None:
        kw["data"], headers["Content-Type"] = json.dumps(body), "application/json"
    return client.open(path, method=method, headers=headers, **kw)


def allocate(client, token, image, project, name="web9"):
    return call(client, token, "POST", "/v1/hosts",
                {"name": name, "env": "test", "image": image, "flavor": FLAVOR, "project": project})


def rebuild(client, token, host_id, image):
    return call(client, token, "POST", f"/v1/hosts/{host_id}/rebuild", {"image": image})


def error_code(resp) -> str:
    return resp.get_json()["error"]["code"]


def ids(resp) -> set[str]:
    return {i["id"] for i in resp.get_json()["images"]}


CALLS = [("GET", "/v1/images/{id}", None), ("GET", "/v1/images/{id}/file", None),
         ("PATCH", "/v1/images/{id}", {"name": "mine", "protected": False}), ("DELETE", "/v1/images/{id}", None)]


@pytest.mark.parametrize(("method", "path", "body"), CALLS, ids=[f"{m} {p}" for m, p, _ in CALLS])
def test_another_projects_private_image_answers_as_an_unknown_id(owners, method, path, body):
    before = owners.svc.images.by_id(owners.theirs)
    other = call(owners, owners.alpha, method, path.format(id=owners.theirs), body)
    unknown = call(owners, owners.alpha, method, path.format(id="no-such-image"), body)
    assert other.status_code == unknown.status_code == 404
    assert error_code(other) == "image_not_found"
    assert other.get_data(as_text=True).replace(owners.theirs, "no-such-image") == unknown.get_data(as_text=True)
    assert owners.svc.images.by_id(owners.theirs) == before


def test_an_upload_to_another_projects_private_image_is_404_and_changes_nothing(owners):
    queued = add_image(owners, "beta-queued", "beta", status="queued")
    resp = owners.put(f"/v1/images/{queued}/file", data=b"x" * 1024,
                      headers={"Authorization": f"Bearer {owners.alpha}", "Content-Type": "application/octet-stream"})
    assert resp.status_code == 404 and error_code(resp) == "image_not_found"
    assert owners.svc.images.by_id(queued)["status"] == "queued"


@pytest.mark.parametrize("ref", ["id", "name"])
def test_another_projects_private_image_is_an_unknown_image_to_allocate_from(owners, ref):
    image = owners.theirs if ref == "id" else "beta-disk"
    resp = allocate(owners, owners.alpha, image, "alpha")
    assert resp.status_code == 422 and error_code(resp) == "unknown_image"
    assert owners.svc.operations.list()[1] == 0
    assert allocate(owners, owners.beta, image, "beta").status_code == 202


@pytest.mark.parametrize("ref", ["id", "name"])
def test_another_projects_private_image_is_an_unknown_image_to_rebuild_from(owners, ref):
    image = owners.theirs if ref == "id" else "beta-disk"
    resp = rebuild(owners, owners.alpha, "h-alpha", image)
    assert resp.status_code == 422 and error_code(resp) == "unknown_image"
    assert owners.svc.hosts.get("h-alpha")["state"] == "active"
    assert owners.svc.operations.list()[1] == 0


def test_a_shared_image_is_usable_by_the_named_project(owners):
    shared = add_image(owners, "beta-shared", "beta", visibility="shared", shared_with=["alpha"])
    assert call(owners, owners.alpha, "GET", f"/v1/images/{shared}").status_code == 200
    resp = allocate(owners, owners.alpha, "beta-shared", "alpha")
    assert resp.status_code == 202, resp.get_json()
    assert owners.svc.hosts.get(resp.get_json()["host"]["id"])["image"] == shared
    assert call(owners, owners.gamma, "GET", f"/v1/images/{shared}").status_code == 404


@pytest.mark.parametrize(("method", "body"), [("PATCH", {"protected": False}), ("PATCH", {"visibility": "private"}),
                                              ("DELETE", None)])
def test_a_shared_image_is_not_changeable_by_the_project_it_is_shared_with(owners, method, body):
    shared = add_image(owners, "beta-shared", "beta", visibility="shared", shared_with=["alpha"], protected=True)
    before = owners.svc.images.by_id(shared)
    resp = call(owners, owners.alpha, method, f"/v1/images/{shared}", body)
    assert resp.status_code == 403 and error_code(resp) == "image_not_owned"
    assert owners.svc.images.by_id(shared) == before


def test_a_public_image_is_changed_by_an_admin_token_only(owners):
    img = owners.svc.images.get("img")["id"]
    resp = call(owners, owners.alpha, "PATCH", f"/v1/images/{img}", {"name": "gone"})
    assert resp.status_code == 403 and error_code(resp) == "image_not_owned"
    assert call(owners, owners.alpha, "DELETE", f"/v1/images/{img}").status_code == 403
    assert call(owners, owners.admin, "PATCH", f"/v1/images/{img}", {"min_ram_mb": 64}).status_code == 200


def test_an_operator_cannot_make_an_image_public(owners):
    body = {"name": "pub", "disk_format": "qcow2", "container_format": "bare", "visibility": "public"}
    created = call(owners, owners.alpha, "POST", "/v1/images", body)
    assert created.status_code == 403 and error_code(created) == "visibility_not_allowed"
    own = add_image(owners, "alpha-disk", "alpha")
    patched = call(owners, owners.alpha, "PATCH", f"/v1/images/{own}", {"visibility": "public"})
    assert patched.status_code == 403 and error_code(patched) == "visibility_not_allowed"
    assert owners.svc.images.by_id(own)["visibility"] == "private"
    assert call(owners, owners.admin, "PATCH", f"/v1/images/{own}", {"visibility": "public"}).json["image"][
        "visibility"] == "public"


def test_an_operators_image_is_private_to_its_project_by_default(owners):
    body = {"name": "alpha-new", "disk_format": "qcow2", "container_format": "bare"}
    image = call(owners, owners.alpha, "POST", "/v1/images", body).get_json()["image"]
    assert (image["project"], image["visibility"], image["shared_with"]) == ("alpha", "private", [])
    assert call(owners, owners.beta, "GET", f"/v1/images/{image['id']}").status_code == 404


def test_an_operator_creates_images_only_in_its_own_projects(owners):
    body = {"name": "x", "disk_format": "qcow2", "container_format": "bare", "project": "beta"}
    resp = call(owners, owners.alpha, "POST", "/v1/images", body)
    assert resp.status_code == 403 and error_code(resp) == "project_not_allowed"
    both = TokenStore(owners.svc.operations.db).create("op-both", "operator", ["alpha", "beta"])
    named = call(owners, both, "POST", "/v1/images", body)
    assert named.status_code == 201 and named.json["image"]["project"] == "beta"
    admins = call(owners, owners.admin, "POST", "/v1/images", {**body, "project": "gamma", "name": "y"})
    assert admins.status_code == 201 and admins.json["image"]["project"] == "gamma"


def test_an_operator_with_several_projects_must_name_one(owners):
    both = TokenStore(owners.svc.operations.db).create("op-both", "operator", ["alpha", "beta"])
    resp = call(owners, both, "POST", "/v1/images", {"name": "x", "disk_format": "qcow2", "container_format": "bare"})
    assert resp.status_code == 422 and error_code(resp) == "project_required"


def test_renaming_an_image_to_a_public_images_name_is_409(owners):
    own = add_image(owners, "alpha-disk", "alpha")
    resp = call(owners, owners.alpha, "PATCH", f"/v1/images/{own}", {"name": "img"})
    assert resp.status_code == 409 and error_code(resp) == "image_name_taken"
    assert owners.svc.images.by_id(own)["name"] == "alpha-disk"


def test_creating_an_image_under_a_public_images_name_is_409(owners):
    body = {"name": "img", "disk_format": "qcow2", "container_format": "bare"}
    resp = call(owners, owners.alpha, "POST", "/v1/images", body)
    assert resp.status_code == 409 and error_code(resp) == "image_name_taken"
    assert {i["name"] for i in owners.svc.images.list()} == {"img", "beta-disk"}


def test_making_an_image_public_under_another_active_images_name_is_409(owners):
    twin = add_image(owners, "beta-disk", "gamma", visibility="private", status="queued")
    resp = call(owners, owners.admin, "PATCH", f"/v1/images/{twin}", {"visibility": "public"})
    assert resp.status_code == 409 and error_code(resp) == "image_name_taken"
    assert owners.svc.images.by_id(twin)["visibility"] == "private"


def test_an_operators_image_renamed_to_a_public_name_does_not_take_over_other_projects_allocations(owners):
    public = owners.svc.images.get("img")["id"]
    own = add_image(owners, "alpha-disk", "alpha")
    assert call(owners, owners.alpha, "PATCH", f"/v1/images/{own}", {"name": "img"}).status_code == 409
    ImageStore(owners.svc.operations.db).edit(own, name="img")  # as if it had the name from before
    resp = allocate(owners, owners.beta, "img", "beta")
    assert resp.status_code == 202
    assert owners.svc.hosts.get(resp.get_json()["host"]["id"])["image"] == public


def test_two_visible_active_images_of_one_name_are_ambiguous(owners):
    first, second = add_image(owners, "dup", "alpha"), add_image(owners, "dup", "alpha")
    resp = allocate(owners, owners.alpha, "dup", "alpha")
    assert resp.status_code == 409 and error_code(resp) == "image_name_ambiguous"
    assert sorted(resp.get_json()["error"]["details"]["ids"]) == sorted([first, second])
    assert error_code(rebuild(owners, owners.alpha, "h-alpha", "dup")) == "image_name_ambiguous"
    assert owners.svc.operations.list()[1] == 0


def test_a_name_resolves_only_among_the_images_the_caller_sees(owners):
    mine = add_image(owners, "web-base", "alpha")
    add_image(owners, "web-base", "beta")
    resp = allocate(owners, owners.alpha, "web-base", "alpha")
    assert resp.status_code == 202
    assert owners.svc.hosts.get(resp.get_json()["host"]["id"])["image"] == mine


def test_a_snapshot_is_private_to_its_hosts_project(owners):
    resp = call(owners, owners.alpha, "POST", "/v1/hosts/h-alpha/snapshot", {"name": "alpha-snap"})
    assert resp.status_code == 202, resp.get_json()
    image_id = resp.get_json()["image"]["id"]
    image = owners.svc.images.by_id(image_id)
    assert (image["project"], image["visibility"]) == ("alpha", "private")
    assert call(owners, owners.alpha, "GET", f"/v1/images/{image_id}").status_code == 200
    assert call(owners, owners.beta, "GET", f"/v1/images/{image_id}").status_code == 404


def test_a_snapshot_under_a_public_images_name_is_409(owners):
    resp = call(owners, owners.alpha, "POST", "/v1/hosts/h-alpha/snapshot", {"name": "img"})
    assert resp.status_code == 409 and error_code(resp) == "image_name_taken"
    assert owners.svc.hosts.get("h-alpha")["state"] == "active"


def test_the_listing_holds_only_the_images_the_caller_may_see(owners):
    public = owners.svc.images.get("img")["id"]
    own = add_image(owners, "alpha-disk", "alpha")
    shared = add_image(owners, "beta-shared", "beta", visibility="shared", shared_with=["alpha"])
    assert ids(call(owners, owners.alpha, "GET", "/v1/images")) == {public, own, shared}
    assert ids(call(owners, owners.gamma, "GET", "/v1/images")) == {public}
    everything = {public, own, shared, owners.theirs}
    assert ids(call(owners, owners.admin, "GET", "/v1/images")) == everything
    assert ids(call(owners, owners.viewer, "GET", "/v1/images")) == everything


def test_a_chat_users_image_names_resolve_among_its_projects(owners):
    body = validate_allocate({"name": "web8", "env": "test", "image": "beta-disk", "flavor": FLAVOR,
                              "project": "alpha"}, owners.svc.settings)
    caller = Caller(owners.svc, ChatUser("slack:U1", "ann", "operator", ("alpha",)), "slack")
    with pytest.raises(Invalid) as refused:
        submit_allocate(owners.svc, body, caller.origin())
    assert refused.value.code == "unknown_image"


def test_a_caller_with_no_known_projects_resolves_as_an_admin(owners):
    body = validate_allocate({"name": "web8", "env": "test", "image": "beta-disk", "flavor": FLAVOR,
                              "project": "beta"}, owners.svc.settings)
    op, created = submit_allocate(owners.svc, body, Origin("jira", "someone", "jira:1"))
    assert created and owners.svc.hosts.get(op["host_id"])["image"] == owners.theirs


def test_a_re_registration_deactivates_only_the_earlier_public_records_of_its_name(owners):
    store = ImageStore(owners.svc.operations.db)
    old = owners.svc.images.get("img")["id"]
    private = add_image(owners, "img", "alpha")
    new = store.add(name="img", disk_format="qcow2", status="active", os_hash_value="01", location="/new")["id"]
    assert store.deactivate_stale("img", new) == 1
    assert [store.by_id(i)["status"] for i in (old, private, new)] == ["deactivated", "active", "active"]


def test_the_migration_makes_existing_images_public_and_owned_by_default(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(migrate.alembic_config(url), "0010")
    db = Database(url)
    with db.session() as s:
        s.execute(text("INSERT INTO images (id, name, disk_format, container_format, status, os_hash_algo, "
                       "properties, created_at, min_disk_gb, min_ram_mb, protected) VALUES ('i1', 'old', 'qcow2', "
                       "'bare', 'active', 'sha512', '{}', '2024-01-01 00:00:00', 0, 0, 0)"))
    db.dispose()
    migrate.upgrade(url)
    db = Database(url)
    image = ImageStore(db).by_id("i1")
    db.dispose()
    assert (image["name"], image["project"], image["visibility"], image["shared_with"]) == \
        ("old", "default", "public", [])
