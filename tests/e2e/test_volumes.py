"""Volumes through the API on running guests: create, attach live, seen in the
guest by serial, detach, data kept, attached to a second guest on the same node with
the data there, delete; reclaim leaves volumes available, or deletes them if asked."""
import time
import uuid

import pytest

from infra import console
from infra.domain_xml import domain_name
from tests.e2e.conftest import unique_name

MARKER = b"hostflow-volume-marker"


def volume_file(settings, volume: dict):
    return settings.state_dir / "nodes" / volume["hypervisor"] / "volumes" / f"vol-{volume['id']}.raw"


def head(path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(len(MARKER))


def console_blocks(settings, host: dict) -> list[dict]:
    log = settings.state_dir / "nodes" / host["hypervisor"] / "instances" / host["id"] / "console.log"
    return (console.latest(log) or {}).get("blocks", [])


def read_through_domain(libvirt, host: dict, target: str) -> bytes:
    """The first bytes of the host's disk `target`, read by libvirt from the domain's own disk."""
    return libvirt.conn.lookupByName(domain_name(host["id"])).blockPeek(target, 0, len(MARKER), 0)


def serials_once_settled(settings, host: dict, gone: str, seconds: float = 5.0) -> list[str]:
    """The guest prints its state about once a second: wait for the line after a change."""
    deadline = time.monotonic() + seconds
    while True:
        serials = [b["serial"] for b in console_blocks(settings, host)]
        if gone not in serials or time.monotonic() > deadline:
            return serials
        time.sleep(0.2)


@pytest.fixture(scope="module")
def second_host(api, host):
    """A second guest on the first one's node: a volume cannot move between hypervisors."""
    accepted = api.allocate(unique_name("e2e"), hypervisor=host["hypervisor"])
    op = api.wait(accepted["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    yield api.get(f"/v1/hosts/{accepted['host']['id']}").json()["host"]
    api.wait(api.delete(f"/v1/hosts/{accepted['host']['id']}").json()["operation"]["id"])


@pytest.fixture(scope="module")
def volume(api, host):
    resp = api.post("/v1/volumes", {"name": unique_name("data"), "size_gb": 1, "env": "test",
                                    "hypervisor": host["hypervisor"]}, key=str(uuid.uuid4()))
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    return api.get(f"/v1/volumes/{resp.json()['volume']['id']}").json()["volume"]


def test_created_volume_is_available_in_its_nodes_pool(settings, volume):
    assert volume["state"] == "available"
    assert volume_file(settings, volume).stat().st_size == 1 << 30


def test_attach_dry_run_plans_on_the_node_and_changes_nothing(api, host, volume):
    resp = api.post(f"/v1/hosts/{host['id']}/volumes", {"volume_id": volume["id"]}, params={"dry_run": "true"})
    assert resp.status_code == 200, resp.text
    steps = {s["name"]: s for s in resp.json()["steps"]}
    assert steps["attach_volume"]["action"] == "attach"
    assert steps["attach_volume"]["node"] == f"hv.{host['hypervisor']}"
    assert api.get(f"/v1/volumes/{volume['id']}").json()["volume"]["state"] == "available"


def test_attach_is_live_and_the_guest_sees_the_serial(api, settings, host, volume):
    with open(volume_file(settings, volume), "r+b") as fh:
        fh.write(MARKER)
    resp = api.post(f"/v1/hosts/{host['id']}/volumes", {"volume_id": volume["id"]})
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    got = api.get(f"/v1/volumes/{volume['id']}").json()["volume"]
    assert got["state"] == "in-use" and got["host_id"] == host["id"]
    serials = [b["serial"] for b in console_blocks(settings, host)]
    assert volume["id"][:20] in serials


def test_shrinking_is_refused(api, volume):
    resp = api.post(f"/v1/volumes/{volume['id']}/extend", {"size_gb": 1})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "shrink_not_supported"
    assert api.get(f"/v1/volumes/{volume['id']}").json()["volume"]["state"] == "in-use"


def test_extend_on_a_running_guest_is_live(api, settings, host, volume):
    resp = api.post(f"/v1/volumes/{volume['id']}/extend", {"size_gb": 2})
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    assert [s["name"] for s in op["steps"]] == ["extend_volume", "wait_volume_grown"]
    got = api.get(f"/v1/volumes/{volume['id']}").json()["volume"]
    assert got["state"] == "in-use" and got["size_gb"] == 2
    block = next(b for b in console_blocks(settings, host) if b["serial"] == volume["id"][:20])
    assert block["size_bytes"] == 2 << 30


def test_deleting_an_attached_volume_is_refused(api, volume):
    resp = api.delete(f"/v1/volumes/{volume['id']}")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "volume_in_use"


def test_backing_up_a_volume_of_a_running_guest_fails_and_leaves_it_in_use(api, host, volume):
    op = api.wait(api.post(f"/v1/volumes/{volume['id']}/backups", {}).json()["operation"]["id"])
    assert op["state"] == "failed" and op["error"]["code"] == "guest_running"
    assert api.get(f"/v1/backups/{op['backup_id']}").json()["backup"]["state"] == "error"
    got = api.get(f"/v1/volumes/{volume['id']}").json()["volume"]
    assert got["state"] == "in-use" and got["host_id"] == host["id"]
    assert api.wait(api.delete(f"/v1/backups/{op['backup_id']}").json()["operation"]["id"])["state"] == "succeeded"


def test_restoring_onto_an_in_use_volume_is_refused(api, host, volume):
    small = api.wait(api.post("/v1/volumes", {"name": unique_name("bk"), "size_gb": 1, "env": "test"},
                              key=str(uuid.uuid4())).json()["operation"]["id"])
    backed = api.wait(api.post(f"/v1/volumes/{small['volume_id']}/backups", {}).json()["operation"]["id"])
    resp = api.post(f"/v1/backups/{backed['backup_id']}/restore", {"volume_id": volume["id"]})
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "volume_in_use"
    assert api.get(f"/v1/volumes/{volume['id']}").json()["volume"]["state"] == "in-use"
    assert api.get(f"/v1/backups/{backed['backup_id']}").json()["backup"]["state"] == "available"
    api.wait(api.delete(f"/v1/backups/{backed['backup_id']}").json()["operation"]["id"])
    api.delete(f"/v1/volumes/{small['volume_id']}")


def test_detach_releases_it_and_keeps_the_data(api, settings, host, volume):
    resp = api.delete(f"/v1/hosts/{host['id']}/volumes/{volume['id']}")
    assert resp.status_code == 202, resp.text
    op = api.wait(resp.json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    assert api.get(f"/v1/volumes/{volume['id']}").json()["volume"]["state"] == "available"
    assert volume["id"][:20] not in serials_once_settled(settings, host, volume["id"][:20])
    assert head(volume_file(settings, volume)) == MARKER


def test_extend_a_detached_volume_in_its_pool(api, settings, volume):
    op = api.wait(api.post(f"/v1/volumes/{volume['id']}/extend", {"size_gb": 3}).json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    assert [s["name"] for s in op["steps"]] == ["extend_volume"]
    assert api.get(f"/v1/volumes/{volume['id']}").json()["volume"]["state"] == "available"
    assert volume_file(settings, volume).stat().st_size == 3 << 30
    assert head(volume_file(settings, volume)) == MARKER


def test_attached_to_a_second_host_on_the_node_the_data_is_there(api, settings, libvirt, host, second_host,
                                                                 volume):
    assert second_host["hypervisor"] == host["hypervisor"] and second_host["id"] != host["id"]
    op = api.wait(api.post(f"/v1/hosts/{second_host['id']}/volumes", {"volume_id": volume["id"]})
                  .json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    got = api.get(f"/v1/volumes/{volume['id']}").json()["volume"]
    assert got["state"] == "in-use" and got["host_id"] == second_host["id"]
    block = next(b for b in console_blocks(settings, second_host) if b["serial"] == volume["id"][:20])
    assert block["size_bytes"] == 3 << 30  # as it grew on the first host and in the pool
    assert read_through_domain(libvirt, second_host, got["target"]) == MARKER
    assert volume["id"][:20] not in [b["serial"] for b in console_blocks(settings, host)]

    op = api.wait(api.delete(f"/v1/hosts/{second_host['id']}/volumes/{volume['id']}").json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    assert api.get(f"/v1/volumes/{volume['id']}").json()["volume"]["state"] == "available"


def test_delete_removes_the_pool_volume(api, settings, volume):
    op = api.wait(api.delete(f"/v1/volumes/{volume['id']}").json()["operation"]["id"])
    assert op["state"] == "succeeded", op["error"]
    assert api.get(f"/v1/volumes/{volume['id']}").json()["volume"]["state"] == "deleted"
    assert not volume_file(settings, volume).exists()


def test_reclaiming_the_host_leaves_its_volume_available(api, host):
    created = api.post("/v1/volumes", {"name": unique_name("keep"), "size_gb": 1, "env": "test",
                                       "hypervisor": host["hypervisor"]}, key=str(uuid.uuid4())).json()
    volume_id = created["volume"]["id"]
    assert api.wait(created["operation"]["id"])["state"] == "succeeded"
    attach = api.post(f"/v1/hosts/{host['id']}/volumes", {"volume_id": volume_id}).json()
    assert api.wait(attach["operation"]["id"])["state"] == "succeeded"
    reclaim = api.wait(api.delete(f"/v1/hosts/{host['id']}").json()["operation"]["id"])
    assert reclaim["state"] == "succeeded" and reclaim["result"]["volumes_detached"] == 1
    got = api.get(f"/v1/volumes/{volume_id}").json()["volume"]
    assert got["state"] == "available" and got["host_id"] is None
    assert api.wait(api.delete(f"/v1/volumes/{volume_id}").json()["operation"]["id"])["state"] == "succeeded"


def test_reclaiming_with_delete_volumes_deletes_them_from_the_pool(api, settings, second_host):
    created = api.post("/v1/volumes", {"name": unique_name("gone"), "size_gb": 1, "env": "test",
                                       "hypervisor": second_host["hypervisor"]}, key=str(uuid.uuid4())).json()
    volume_id = created["volume"]["id"]
    assert api.wait(created["operation"]["id"])["state"] == "succeeded"
    attach = api.post(f"/v1/hosts/{second_host['id']}/volumes", {"volume_id": volume_id}).json()
    assert api.wait(attach["operation"]["id"])["state"] == "succeeded"
    volume = api.get(f"/v1/volumes/{volume_id}").json()["volume"]

    plan = api.delete(f"/v1/hosts/{second_host['id']}", params={"dry_run": "true", "delete_volumes": "true"})
    assert plan.status_code == 200, plan.text
    steps = {s["name"]: s for s in plan.json()["steps"]}
    assert steps["delete_host_volumes"]["action"] == "delete"
    assert api.get(f"/v1/volumes/{volume_id}").json()["volume"]["state"] == "in-use"

    resp = api.delete(f"/v1/hosts/{second_host['id']}", json={"delete_volumes": True})
    assert resp.status_code == 202, resp.text
    assert api.get(f"/v1/volumes/{volume_id}").json()["volume"]["state"] in {"deleting", "deleted"}
    reclaim = api.wait(resp.json()["operation"]["id"])
    assert reclaim["state"] == "succeeded", reclaim["error"]
    assert [s["name"] for s in reclaim["steps"]][1:3] == ["ensure_undefined", "delete_host_volumes"]
    assert reclaim["result"]["volumes_deleted"] == 1 and reclaim["result"]["volumes_detached"] == 0
    got = api.get(f"/v1/volumes/{volume_id}").json()["volume"]
    assert got["state"] == "deleted" and got["deleted"] and got["host_id"] is None
    assert not volume_file(settings, volume).exists()
