"""The image records on SQLite and PostgreSQL: 64-bit sizes, the status compare-and-swap,
and what counts as in use."""
from infra.db.images import ImageStore
from infra.db.models import Host

TIB = 1 << 40


def test_sizes_over_two_gib_are_kept(any_db):
    store = ImageStore(any_db)
    image = store.add(name="big", disk_format="raw", status="saving")
    assert store.transition(image["id"], {"saving"}, "active", size=3 * TIB, virtual_size=4 * TIB)
    assert (store.by_id(image["id"])["size"], store.by_id(image["id"])["virtual_size"]) == (3 * TIB, 4 * TIB)


def test_only_one_transition_from_a_state_wins(any_db):
    store = ImageStore(any_db)
    image = store.add(name="img", disk_format="qcow2", status="queued")
    assert store.transition(image["id"], {"queued"}, "saving")
    assert not store.transition(image["id"], {"queued"}, "saving")
    assert not store.transition(image["id"], {"queued"}, "deleted")
    assert store.by_id(image["id"])["status"] == "saving"


def test_in_use_by_root_disk_kernel_or_ramdisk_of_live_hosts(any_db):
    store = ImageStore(any_db)
    kernel = store.add(name="k", disk_format="aki", status="active")
    ramdisk = store.add(name="r", disk_format="ari", status="active")
    machine = store.add(name="m", disk_format="ami", status="active", kernel_id=kernel["id"],
                        ramdisk_id=ramdisk["id"])
    spare = store.add(name="s", disk_format="qcow2", status="active")
    with any_db.session() as s:
        for host_id, state in (("h1", "active"), ("h2", "deleted")):
            s.add(Host(id=host_id, name=host_id, env="test", fqdn=f"{host_id}.test", state=state,
                       image_id=machine["id"], vcpus=1, ram_mb=256, disk_gb=1))
    assert [store.in_use_by(i["id"]) for i in (machine, kernel, ramdisk, spare)] == [["h1"], ["h1"], ["h1"], []]


def test_list_filters_by_status_and_properties(any_db):
    store = ImageStore(any_db)
    store.add(name="a", disk_format="raw", status="active", properties={"os": "debian"})
    store.add(name="b", disk_format="raw", status="deleted", properties={"os": "debian"})
    assert [i["name"] for i in store.list(properties={"os": "debian"})] == ["a"]
    assert [i["name"] for i in store.list(status="deleted")] == ["b"]
