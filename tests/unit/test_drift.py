"""The drift report against a recorded world and stand-ins for what it is compared with
(the DNS server, object storage, each node's inventory); the real ones are the
integration suite's (tests/integration/test_drift.py)."""
from datetime import UTC, datetime, timedelta

import pytest

from flows.runner import run_operation
from functions.registry import FUNCTIONS
from infra.db.capacity import CapacityStore
from infra.db.hypervisors import HypervisorStore
from infra.db.ipam import IpamStore
from infra.db.models import Backup, Host, Hypervisor, Image, Operation, Volume
from infra.dns import RRset
from infra.queue import QueueError
from operations import drift
from operations.origin import Origin
from tests.fakes import record_only

NODE = {"vcpus": 8, "ram_mb": 8192, "disk_gb": 100}
NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=2)
ZONE = "cloud.internal"


class Server:
    """The authoritative server: the record sets it answers."""

    def __init__(self):
        self.sets: dict[tuple[str, str], tuple[str, ...]] = {}

    def rrset(self, name, rtype):
        values = self.sets.get((name, rtype))
        return RRset(rtype, 300, values) if values else None

    def delete(self, name, rtype, value):
        self.sets[(name, rtype)] = tuple(v for v in self.sets.get((name, rtype), ()) if v != value)


class Bucket:
    """Object storage: {bucket: {key: (size, modified)}}."""

    def __init__(self):
        self.stored: dict[str, dict[str, tuple[int, datetime]]] = {}

    def put(self, bucket, key, modified=OLD):
        self.stored.setdefault(bucket, {})[key] = (1, modified)

    def objects(self, bucket, prefix=""):
        return [{"key": k, "size": size, "modified": at} for k, (size, at) in self.stored.get(bucket, {}).items()
                if k.startswith(prefix)]

    def head(self, bucket, key):
        return {"size": 1, "metadata": {}} if key in self.stored.get(bucket, {}) else None

    def delete(self, bucket, key):
        return self.stored.get(bucket, {}).pop(key, None) is not None


class World:
    """One active host h1 on hv1, as the record and reality agree it is."""

    def __init__(self, svc):
        self.svc, self.db = svc, svc.operations.db
        self.server, self.bucket = Server(), Bucket()
        control = svc.planner.control
        control.dns, control.objects = self.server, self.bucket
        self.inventory = {"domains": [], "instances": [], "volumes": [], "temp_files": []}
        self.unreachable = False
        svc.planner.inventory = self._inventory
        HypervisorStore(self.db).register("hv1", "hv.hv1", NODE, {"cpu": 1.0, "ram": 1.0, "disk": 1.0})
        self.add_host("h1")

    def _inventory(self, name):
        if self.unreachable:
            raise QueueError(f"no live worker serves hv.{name}")
        return self.inventory

    def add_host(self, host_id, state="active"):
        lease = IpamStore(self.db).allocate("vm", "10.213.0.0/24", {"10.213.0.1"}, host_id)
        CapacityStore(self.db).claim_on("hv1", host_id, 1, 256, 1)
        fqdn = f"{host_id}.test.{ZONE}"
        with self.db.session() as s:
            s.add(Host(id=host_id, name=host_id, env="test", fqdn=fqdn, state=state, hypervisor="hv1", image_id="i",
                       vcpus=1, ram_mb=256, disk_gb=1,
                       addresses=[{"network": "vm", "address": lease.address, "cidr": lease.cidr}]))
        records = self.svc.planner.control.dns_records
        records.set_state(records.claim(fqdn, "A", lease.address, 300, host_id, "host")["id"], "active")
        self.server.sets[(fqdn, "A")] = (lease.address,)
        self.inventory["domains"].append({"domain": f"hostflow-{host_id}", "host": host_id, "state": "running",
                                          "disks": []})
        self.inventory["instances"].append({"host": host_id, "files": ["disk.qcow2"], "bytes": 1})

    def delete_host(self, host_id):
        self.svc.hosts.update(host_id, state="deleted", deleted_at=NOW)

    def busy(self, host_id):
        with self.db.session() as s:
            s.add(Operation(kind="reclaim_host", idempotency_key=f"k-{host_id}", fingerprint="f", params={},
                            host_id=host_id, state="running"))

    def report(self):
        return drift.report(self.svc, NOW)

    def kinds(self):
        return [f["kind"] for f in self.report()["findings"]]

    def finding(self, kind):
        found = [f for f in self.report()["findings"] if f["kind"] == kind]
        assert len(found) == 1, self.report()["findings"]
        return found[0]


@pytest.fixture
def world(api):
    record_only(api.svc)
    return World(api.svc)


def test_a_world_as_recorded_has_no_findings(world):
    report = world.report()
    assert report["findings"] == [] and report["complete"]
    assert set(report["sources"]) == {"hosts", "claims", "leases", "dns", "objects", "exports", "node:hv1"}


def test_a_host_left_building_with_no_operation_on_it_is_stuck(world):
    world.svc.hosts.update("h1", state="building")
    assert world.finding("host_state_stuck")["host_id"] == "h1"


def test_a_host_building_under_its_operation_is_not_stuck(world):
    world.svc.hosts.update("h1", state="building")
    world.busy("h1")
    assert "host_state_stuck" not in world.kinds()


def test_a_claim_of_a_deleted_host_is_leaked_and_safe_to_release(world):
    world.delete_host("h1")
    found = world.finding("leaked_claim")
    assert found["safe"] and found["repair"] == {"function": "release_capacity", "request": {"host_id": "h1"}}
    assert "host h1 is deleted" in found["evidence"]


def test_a_host_whose_allocation_failed_holds_nothing(world):
    world.svc.hosts.update("h1", state="failed")
    assert {"leaked_claim", "leaked_lease", "dns_record_of_gone_host"} <= set(world.kinds())


def test_what_an_operation_is_working_on_is_left_out(world):
    world.delete_host("h1")
    world.busy("h1")
    assert world.kinds() == []


def test_claimed_counters_that_differ_from_the_claims_are_reported(world):
    with world.db.session() as s:
        s.execute(Hypervisor.__table__.update().values(vcpus_claimed=5))
    found = world.finding("claim_totals_differ")
    assert not found["safe"] and "'vcpus': 5" in found["evidence"] and "'vcpus': 1" in found["evidence"]


def test_an_active_host_without_a_claim_is_reported(world):
    CapacityStore(world.db).release("h1")
    assert world.finding("host_without_claim")["host_id"] == "h1"


def test_a_lease_of_a_gone_host_is_leaked_and_safe_to_release(world):
    world.delete_host("h1")
    found = world.finding("leaked_lease")
    assert found["repair"] == {"function": "release_ip", "request": {"host_id": "h1"}}


def test_an_address_no_lease_holds_is_reported(world):
    IpamStore(world.db).release_host("h1")
    assert world.finding("address_without_lease")["host_id"] == "h1"


def test_an_owned_record_the_server_does_not_answer_is_missing(world):
    world.server.sets.clear()
    found = world.finding("dns_record_missing")
    assert found["subject"] == f"A h1.test.{ZONE}" and not found["safe"]


def test_an_owned_record_the_server_answers_otherwise_differs(world):
    world.server.sets[(f"h1.test.{ZONE}", "A")] = ("10.213.0.99",)
    assert "10.213.0.99" in world.finding("dns_record_differs")["evidence"]


def test_the_records_of_a_gone_host_are_safe_to_remove(world):
    world.delete_host("h1")
    found = world.finding("dns_record_of_gone_host")
    assert found["repair"] == {"function": "remove_host_records", "request": {"host_id": "h1"}}


def test_a_released_record_the_server_still_answers_was_left_behind(world):
    records = world.svc.planner.control.dns_records
    records.release(records.of_host("h1")[0]["id"])
    assert world.finding("dns_record_left")["subject"] == f"A h1.test.{ZONE}"


def test_an_object_no_image_names_is_an_orphan_past_the_grace(world):
    world.bucket.put("hostflow-images", "images/old")
    world.bucket.put("hostflow-images", "images/new", modified=NOW - timedelta(minutes=5))
    found = world.finding("orphan_object")
    assert found["subject"] == "s3://hostflow-images/images/old"
    assert found["repair"] == {"function": "delete_object",
                               "request": {"bucket": "hostflow-images", "key": "images/old"}}


def test_an_object_an_image_names_is_no_orphan(world):
    world.bucket.put("hostflow-images", "images/i2")
    with world.db.session() as s:
        s.add(Image(id="i2", name="deb", disk_format="qcow2", status="deactivated",
                    location="s3://hostflow-images/images/i2"))
    assert world.kinds() == []


def test_an_active_image_without_its_object_is_reported(world):
    with world.db.session() as s:
        s.add(Image(id="i3", name="deb", disk_format="qcow2", status="active",
                    location="s3://hostflow-images/images/i3"))
    assert not world.finding("image_object_missing")["safe"]


def test_the_objects_of_a_deleted_backup_are_orphans(world):
    with world.db.session() as s:
        s.add(Backup(id="b1", name="nightly", volume_id="v1", state="deleted", size_gb=1, chunk_size=1,
                     bucket="hostflow-backups", manifest="backups/v1/b1/manifest.json"))
        s.add(Backup(id="b2", name="kept", volume_id="v1", state="available", size_gb=1, chunk_size=1,
                     bucket="hostflow-backups", manifest="backups/v1/b2/manifest.json"))
    world.bucket.put("hostflow-backups", "backups/v1/b1/chunk-00000000")
    world.bucket.put("hostflow-backups", "backups/v1/b2/manifest.json")
    assert world.finding("orphan_object")["subject"] == "s3://hostflow-backups/backups/v1/b1/chunk-00000000"


def test_an_available_backup_without_its_manifest_is_reported(world):
    with world.db.session() as s:
        s.add(Backup(id="b3", name="kept", volume_id="v1", state="available", size_gb=1, chunk_size=1,
                     bucket="hostflow-backups", manifest="backups/v1/b3/manifest.json"))
    assert world.finding("backup_object_missing")["subject"] == "backup b3"


def test_a_domain_marked_for_a_deleted_host_is_reported_and_never_repaired(world):
    world.inventory["domains"].append({"domain": "hostflow-gone", "host": "gone", "state": "running", "disks": []})
    found = world.finding("domain_without_host")
    assert not found["safe"] and "no host gone is on record" in found["evidence"]


def test_an_active_host_without_its_domain_is_reported(world):
    world.inventory["domains"].clear()
    assert world.finding("host_without_domain")["host_id"] == "h1"


def test_instance_files_of_a_host_on_another_node_are_reported(world):
    world.svc.hosts.update("h1", hypervisor="hv2")
    assert "recorded on hv2" in world.finding("instance_files_without_host")["evidence"]


def test_a_pool_volume_no_record_names_is_reported(world):
    world.inventory["volumes"].append({"name": "vol-v9.raw", "path": "/pool/vol-v9.raw", "bytes": 1})
    assert world.finding("volume_without_record")["subject"] == "pool volume vol-v9.raw on hv1"


def test_a_recorded_volume_missing_from_the_pool_is_reported(world):
    with world.db.session() as s:
        s.add(Volume(id="v1", name="data", env="test", size_gb=1, state="available", hypervisor="hv1"))
    assert world.finding("volume_missing")["subject"] == "volume v1 on hv1"


def test_an_old_temporary_file_is_reported_and_a_young_one_is_not(world):
    world.inventory["temp_files"] += [{"path": "/n/images/a.part", "bytes": 5, "age_s": 7200},
                                      {"path": "/n/images/b.part", "bytes": 5, "age_s": 60}]
    assert world.finding("temp_file_left")["subject"] == "/n/images/a.part on hv1"


def test_an_export_file_of_a_gone_host_is_reported(world):
    world.svc.planner.control.exports.write("gone", "/data 10.0.0.9(rw)\n")
    assert world.finding("export_of_gone_host")["host_id"] == "gone"


def test_a_node_that_does_not_answer_makes_the_report_incomplete_and_the_rest_is_still_compared(world):
    world.unreachable = True
    world.delete_host("h1")
    report = world.report()
    assert not report["complete"] and report["sources"]["node:hv1"]["ok"] is False
    assert "leaked_claim" in report["counts"]


def test_repair_submits_an_operation_per_safe_finding_and_lists_the_rest(world):
    world.delete_host("h1")
    world.inventory["domains"].append({"domain": "hostflow-x", "host": "x", "state": "running", "disks": []})
    done = drift.repair(world.svc, Origin("cli", "admin"))
    assert sorted(r["kind"] for r in done["repairs"]) == ["dns_record_of_gone_host", "leaked_claim", "leaked_lease"]
    assert {f["kind"] for f in done["left"]} >= {"domain_without_host"}
    assert all(world.svc.operations.get(r["operation"])["kind"] == "repair_drift" for r in done["repairs"])


def test_asking_twice_repairs_once(world):
    world.bucket.put("hostflow-images", "images/old")
    first = drift.repair(world.svc, Origin("cli", "admin"))
    second = drift.repair(world.svc, Origin("cli", "admin"))
    assert len(first["repairs"]) == 1 and second["repairs"] == first["repairs"]


def test_the_findings_of_a_host_under_repair_are_left_out_until_it_ends(world):
    world.delete_host("h1")
    drift.repair(world.svc, Origin("cli", "admin"))
    assert not {"leaked_claim", "leaked_lease", "dns_record_of_gone_host"} & set(world.kinds())


class ControlHere:
    """Runs the control steps of a flow in this process, on the world's control context."""

    def __init__(self, control):
        self.control = control

    def run(self, queue, job_id, function, request, reuse=True, mode="do", on_progress=None):
        return {"ok": True, "outcome": FUNCTIONS[function].run(self.control, request).to_dict()}


def test_a_repair_run_leaves_the_report_without_its_finding(world):
    world.delete_host("h1")
    world.bucket.put("hostflow-images", "images/old")
    done = drift.repair(world.svc, Origin("cli", "admin"))
    for r in done["repairs"]:
        run_operation(r["operation"], settings=world.svc.settings, dispatcher=ControlHere(world.svc.planner.control),
                      prefect=False)
        assert world.svc.operations.get(r["operation"])["state"] == "succeeded"
    assert set(world.kinds()) == {"instance_files_without_host", "domain_without_host"}
    assert world.bucket.objects("hostflow-images") == []


def test_a_finding_back_after_its_repair_ended_gets_a_new_repair(world):
    world.bucket.put("hostflow-images", "images/old")
    (first,) = drift.repair(world.svc, Origin("cli", "admin"))["repairs"]
    world.svc.operations.transition(first["operation"], {"queued"}, "failed")
    (second,) = drift.repair(world.svc, Origin("cli", "admin"))["repairs"]
    assert second["operation"] != first["operation"] and second["state"] == "queued"
