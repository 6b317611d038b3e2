"""Shares end to end: a share of environment `test`, two hosts allocated in it (on the
two hypervisors) get it passed through; a file the first guest writes into it is read
by the second, with no copy (one file on the hypervisors' side); detach and attach
restart the guest with the share gone and back; reclaim leaves no attachment behind."""
import shutil
import time
import uuid

import pytest

from infra import console
from infra.domain_xml import domain_name, filesystems
from operations.bootstrap import share_driver
from tests.e2e.conftest import unique_name

MOUNT_POINT = "/Data/test_share"
PREFIX = "shr"  # not one of conftest.TEST_PREFIXES: another session's start-up must not reclaim these


def guest_state(settings, host: dict) -> dict:
    log = settings.state_dir / "nodes" / host["hypervisor"] / "instances" / host["id"] / "console.log"
    return console.latest(log) or {}


def share_seen(settings, host: dict, until, timeout: float = 60.0) -> dict | None:
    """The guest's report of the share at MOUNT_POINT once `until(report)` holds (it
    prints its state about once a second), else the last one seen."""
    deadline, seen = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        seen = next((s for s in guest_state(settings, host).get("shares", []) if s["target"] == MOUNT_POINT), None)
        if until(seen):
            return seen
        time.sleep(0.5)
    return seen


def allocate(api, name: str, **over) -> dict:
    accepted = api.allocate(name, **over)
    op = api.wait(accepted["operation"]["id"])
    assert op["state"] == "succeeded", (op["error"], op["steps"])
    return api.get(f"/v1/hosts/{accepted['host']['id']}").json()["host"]


def reclaim_leftovers(api) -> None:
    """What an interrupted earlier run of this module left: its hosts, then its shares."""
    for host in api.get("/v1/hosts").json()["hosts"]:
        if host["env"] == "test" and host["name"].startswith(PREFIX + "-"):
            api.wait(api.delete(f"/v1/hosts/{host['id']}").json()["operation"]["id"], timeout=120)
    for old in api.get("/v1/shares", params={"env": "test"}).json()["shares"]:
        if old["name"].startswith(PREFIX + "-"):
            api.delete(f"/v1/shares/{old['name']}")


@pytest.fixture(scope="module")
def share(api, settings):
    reclaim_leftovers(api)
    name = unique_name(PREFIX)
    root = settings.share_root_paths()[0]
    source = root / name
    source.mkdir(parents=True)
    root.chmod(0o755)
    source.chmod(0o777)  # QEMU writes as libvirt-qemu (9p) or root (virtiofsd)
    (source / "marker").write_text("from-the-hypervisor\n")
    resp = api.post("/v1/shares", {"name": name, "env": "test", "source": str(source), "mount_point": MOUNT_POINT})
    assert resp.status_code == 201, resp.text
    yield {**resp.json()["share"], "path": source}
    if api.delete(f"/v1/shares/{name}").status_code == 200:  # else a host still mounts it
        shutil.rmtree(source, ignore_errors=True)


@pytest.fixture(scope="module")
def writer(api, share):
    host = allocate(api, unique_name(PREFIX))
    yield host
    api.wait(api.delete(f"/v1/hosts/{host['id']}").json()["operation"]["id"])


@pytest.fixture(scope="module")
def reader(api, share, writer):
    """On the other hypervisor: the share is the same directory for every node."""
    other = {"hv1": "hv2", "hv2": "hv1"}.get(writer["hypervisor"])
    host = allocate(api, unique_name(PREFIX), **({"hypervisor": other} if other else {}))
    yield host
    api.wait(api.delete(f"/v1/hosts/{host['id']}").json()["operation"]["id"])


def test_the_share_is_a_record_of_its_environment(api, share):
    listed = {s["name"]: s for s in api.get("/v1/shares", params={"env": "test"}).json()["shares"]}
    assert listed[share["name"]]["source"] == str(share["path"])
    assert listed[share["name"]]["mount_point"] == MOUNT_POINT
    assert listed[share["name"]]["mode"] == "passthrough" and listed[share["name"]]["read_only"] is False


def test_allocate_passes_the_environment_share_into_the_domain(api, libvirt, share, writer):
    devices = filesystems(libvirt.xml(domain_name(writer["id"])))
    assert [(d["source"], d["read_only"]) for d in devices] == [(str(share["path"]), False)]
    attached = api.get(f"/v1/hosts/{writer['id']}/shares").json()["shares"]
    assert [s["name"] for s in attached] == [share["name"]]


def test_the_guest_mounts_it_where_the_config_drive_says(settings, writer):
    mounts = {m["target"]: m for m in guest_state(settings, writer)["mounts"]}
    assert mounts[MOUNT_POINT]["fstype"] in {"9p", "virtiofs"}


def test_a_file_written_by_one_guest_is_read_by_the_other(settings, share, writer, reader):
    assert reader["hypervisor"] != writer["hypervisor"]
    written = f"written-by-{writer['name']}"

    def has_writers_file(report):
        return report and any(f["name"] == written for f in report["files"])

    seen = share_seen(settings, reader, has_writers_file)
    assert has_writers_file(seen), seen
    assert {f["name"]: f["line"] for f in seen["files"]}[written] == writer["name"]
    assert seen["marker"] == "from-the-hypervisor"
    # one file, in the one directory both guests mount: nothing was copied
    assert (share["path"] / written).read_text().strip() == writer["name"]


def test_detach_restarts_the_guest_without_the_share(api, libvirt, settings, share, reader):
    resp = api.delete(f"/v1/hosts/{reader['id']}/shares/{share['name']}")
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"])
    assert op["state"] == "succeeded", (op["error"], op["steps"])
    assert filesystems(libvirt.xml(domain_name(reader["id"]))) == []
    assert MOUNT_POINT not in {m["target"] for m in guest_state(settings, reader)["mounts"]}
    assert api.get(f"/v1/hosts/{reader['id']}/shares").json()["shares"] == []


def test_attach_brings_it_back_and_attaching_again_is_refused(api, libvirt, settings, share, writer, reader):
    resp = api.post(f"/v1/hosts/{reader['id']}/shares", {"name": share["name"]}, key=str(uuid.uuid4()))
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"])
    assert op["state"] == "succeeded", (op["error"], op["steps"])
    assert [s["name"] for s in op["steps"]] == ["ensure_share_exports", "ensure_share_mounts",
                                                "apply_share_devices", "wait_guest_mounts"]
    seen = share_seen(settings, reader, lambda r: r is not None)
    assert f"written-by-{writer['name']}" in {f["name"] for f in seen["files"]}
    again = api.post(f"/v1/hosts/{reader['id']}/shares", {"name": share["name"]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "share_already_attached"


def test_a_share_attached_to_hosts_cannot_be_deleted(api, share, writer):
    resp = api.delete(f"/v1/shares/{share['name']}")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "share_in_use"


# --- bad input: a clear 4xx, nothing changed ------------------------------------

def test_a_source_outside_the_share_roots_is_refused(api, settings):
    before = api.get("/v1/shares").json()["shares"]
    root = settings.share_root_paths()[0]
    for source in (f"{root}/../../etc", "/etc", str(root)):
        resp = api.post("/v1/shares", {"name": unique_name("bad"), "env": "test", "source": source,
                                       "mount_point": MOUNT_POINT})
        assert resp.status_code == 422, (source, resp.text)
        assert resp.json()["error"]["code"] == "share_path_outside_roots"
    assert api.get("/v1/shares").json()["shares"] == before


def test_a_read_only_share_over_virtiofs_is_refused_with_the_reason(api, settings):
    """The stack's nodes pass shares through with virtiofs (QEMU's virtiofsd is installed),
    and this libvirt (9.0) refuses <readonly/> on it: refused before anything is recorded."""
    if share_driver(settings) != "virtiofs":
        pytest.skip("the nodes pass shares through with 9p here: read-only works")
    before = api.get("/v1/shares").json()["shares"]
    resp = api.post("/v1/shares", {"name": unique_name("ro"), "env": "test", "read_only": True,
                                   "source": str(settings.share_root_paths()[0] / "ro"), "mount_point": "/Docs"})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "read_only_virtiofs_unsupported", resp.text
    assert "virtiofs does not yet support read-only mode" in resp.json()["error"]["message"]
    assert api.get("/v1/shares").json()["shares"] == before


def test_attaching_an_unknown_share_is_refused(api, writer):
    before = api.get(f"/v1/hosts/{writer['id']}/shares").json()["shares"]
    resp = api.post(f"/v1/hosts/{writer['id']}/shares", {"name": "no-such-share"}, key=str(uuid.uuid4()))
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "unknown_share"
    assert api.get(f"/v1/hosts/{writer['id']}/shares").json()["shares"] == before
    assert api.get(f"/v1/hosts/{writer['id']}").json()["host"]["state"] == "active"
    gone = api.delete(f"/v1/hosts/{writer['id']}/shares/no-such-share")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "unknown_share"


def test_reclaim_detaches_the_share(api, share, writer, settings):
    op = api.wait(api.delete(f"/v1/hosts/{writer['id']}").json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    assert "remove_share_exports" in [s["name"] for s in op["steps"]]
    assert api.get(f"/v1/hosts/{writer['id']}/shares").json()["shares"] == []
    assert not (settings.exports_path() / f"{writer['id']}.exports").exists()
