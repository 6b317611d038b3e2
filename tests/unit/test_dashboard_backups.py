"""A backup's page: its facts, volume and operations, scoped like GET /v1/backups/<id>;
Restore (onto a new volume or an available one) reviewed first, then submitted like the
API's, each refusal next to its field and nothing recorded."""
import pytest

from infra.db.models import Backup, Volume
from infra.db.tokens import TokenStore
from tests.fakes import record_only
from tests.unit.test_dashboard_access import csrf_of, log_in
from tests.unit.test_dashboard_forms import field_error

STATS = {"chunks": 96, "stored_chunks": 10, "stored_bytes": 10 << 20, "referenced_chunks": 80, "zero_chunks": 6}


@pytest.fixture
def backup(api, monkeypatch):
    """Backup b-alpha (3 GiB, incremental on b-full) of volume v-alpha in project alpha; an
    available 5 GiB volume and a too small 1 GiB one in alpha; one 5 GiB in beta. New
    volumes fit on hv1 only."""
    record_only(api.svc)
    monkeypatch.setattr(api.svc.planner.control.capacity, "candidates", lambda vcpus, ram, disk: ["hv1"])
    with api.svc.operations.db.session() as s:
        for vid, project, size in (("v-alpha", "alpha", 3), ("v-spare", "alpha", 5), ("v-small", "alpha", 1),
                                   ("v-beta", "beta", 5)):
            s.add(Volume(id=vid, name=f"data-{vid[2:]}", env="test", project=project, size_gb=size,
                         state="available", hypervisor="hv1"))
        s.add(Backup(id="b-full", name="weekly", volume_id="v-alpha", state="available", size_gb=3,
                     chunk_size=32 << 20, bucket="backups", manifest="full.json", stats={}))
        s.add(Backup(id="b-alpha", name="nightly", volume_id="v-alpha", parent_id="b-full", state="available",
                     size_gb=3, chunk_size=32 << 20, bucket="backups", manifest="alpha.json", stats=STATS))
        s.add(Backup(id="b-beta", name="nightly-beta", volume_id="v-beta", state="available", size_gb=3,
                     chunk_size=32 << 20, bucket="backups", manifest="beta.json", stats={}))
    api.alpha = TokenStore(api.svc.operations.db).create("op-alpha", "operator", ["alpha"])
    log_in(api, api.admin)
    return "b-alpha"


def restore(api, **form):
    csrf = csrf_of(api.get("/ui/backups/b-alpha"))
    return api.post("/ui/backups/b-alpha/restore", data={**form, "csrf_token": csrf})


def nothing_recorded(api) -> bool:
    return (api.svc.operations.list()[1] == 0 and api.svc.backups.get("b-alpha")["state"] == "available"
            and len(api.svc.volumes.list()) == 4)


def test_a_backup_page_shows_its_volume_chunks_parent_and_operations(api, backup):
    api.svc.operations.create("restore_backup", "k-r", {"backup_id": "b-alpha"}, volume_id="v-spare",
                              backup_id="b-alpha", requester="admin")
    page = api.get("/ui/backups/b-alpha").get_data(as_text=True)
    assert 'href="/ui/volumes/v-alpha">data-alpha</a>' in page
    assert 'incremental, on <a href="/ui/backups/b-full">weekly</a>' in page
    assert "96: 10 stored (10.0 MiB), 80 from the parent, 6 zero" in page and "s3://backups/alpha.json" in page
    assert "restore_backup" in page


def test_the_backup_tables_link_to_the_backup_page(api, backup):
    assert 'href="/ui/backups/b-alpha"' in api.get("/ui/backups").get_data(as_text=True)
    assert 'href="/ui/backups/b-alpha"' in api.get("/ui/volumes/v-alpha").get_data(as_text=True)


def test_another_projects_backup_answers_404_like_an_unknown_one(api, backup):
    log_in(api, api.alpha)
    assert api.get("/ui/backups/b-alpha").status_code == 200
    assert api.get("/ui/backups/b-beta").status_code == 404
    assert api.get("/ui/backups/b-none").status_code == 404


def test_restore_offers_only_visible_available_volumes_the_backup_fits_on(api, backup):
    log_in(api, api.alpha)
    page = api.get("/ui/backups/b-alpha").get_data(as_text=True)
    assert 'value="v-spare"' in page and 'value="v-small"' not in page and 'value="v-beta"' not in page


def test_a_restore_is_reviewed_before_anything_is_recorded(api, backup):
    resp = restore(api, name="rescued")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "a new 3 GiB volume" in page and "rescued" in page
    assert 'value="confirm"' in page and 'href="/ui/backups/b-alpha">Cancel' in page
    assert nothing_recorded(api)


def test_a_confirmed_restore_onto_a_new_volume_is_submitted_like_the_apis(api, backup):
    resp = restore(api, name="rescued", action="confirm")
    assert resp.status_code == 303
    op = api.svc.operations.get(resp.location.rsplit("/", 1)[-1])
    assert op["kind"] == "restore_backup" and op["source"] == "dashboard" and op["requester"] == "admin"
    assert op["params"]["new_volume"] is True and api.svc.volumes.get(op["volume_id"])["name"] == "rescued"
    assert api.svc.backups.get("b-alpha")["state"] == "restoring"


def test_a_confirmed_restore_onto_an_available_volume_takes_that_volume(api, backup):
    resp = restore(api, volume_id="v-spare", action="confirm")
    assert resp.status_code == 303
    assert api.svc.volumes.get("v-spare")["state"] == "restoring-backup"


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"volume_id": "v-small"}, "restore-volume_id", "choose a new volume or one of the available volumes"),
    ({"volume_id": "v-beta"}, "restore-volume_id", "choose a new volume or one of the available volumes"),
    ({"name": "Not A Label"}, "restore-name", "should match pattern"),
    ({"hypervisor": "nowhere"}, "restore-hypervisor", "nowhere has room"),
])
def test_a_refused_restore_is_shown_next_to_its_field_and_records_nothing(api, backup, form, field, message):
    log_in(api, api.alpha)
    resp = restore(api, **form, action="confirm")
    assert resp.status_code in (409, 422)
    assert message in field_error(resp.get_data(as_text=True), field)
    assert nothing_recorded(api)


def test_a_viewer_sees_the_backup_but_no_restore_form_and_may_not_post(api, backup):
    log_in(api, api.viewer)
    page = api.get("/ui/backups/b-alpha").get_data(as_text=True)
    assert "nightly" in page and "/restore" not in page
    assert restore(api, action="confirm").status_code == 403 and nothing_recorded(api)


def test_restoring_a_busy_backup_is_refused_with_the_reason_shown(api, backup):
    csrf = csrf_of(api.get("/ui/backups/b-alpha"))
    api.svc.backups.swap("b-alpha", {"available"}, "restoring")
    resp = api.post("/ui/backups/b-alpha/restore", data={"csrf_token": csrf, "action": "confirm"})
    assert resp.status_code == 409
    assert "is restoring" in resp.get_data(as_text=True)
    assert api.svc.operations.list()[1] == 0 and len(api.svc.volumes.list()) == 4
