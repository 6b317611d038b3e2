"""The node inventory: what a hypervisor holds, read on a real directory tree, with a
fake compute adapter (domains as the adapter hands them out) and a fake pool. It reads
and never changes anything."""
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from flows.plan import Planner
from functions import inventory
from functions.node import Node
from infra.libvirt_connection import LibvirtConnection
from infra.libvirt_storage import LibvirtStorage
from workers import jobs

STACK = "s"
HOUR = 3600


class FakeCompute:
    """Domains as LibvirtCompute hands them out: marks, power state, persistent disks.
    It has no method that changes anything."""

    def __init__(self):
        self.domains: dict[str, dict] = {}

    def add(self, name, marks, state="running", disks=()):
        self.domains[name] = {"marks": marks, "state": state, "disks": list(disks)}

    def domains_marked(self, stack):
        return [n for n, d in self.domains.items() if d["marks"].get("stack") == stack]

    def marks(self, name):
        return dict(self.domains[name]["marks"]) if name in self.domains else {}

    def power_state(self, name):
        return self.domains[name]["state"] if name in self.domains else "absent"

    def disks(self, name, live=False):
        return list(self.domains[name]["disks"]) if name in self.domains else []

    def close(self):
        pass


class FakeStorage:
    def __init__(self, pools=None):
        self.pools = pools or {}

    def volumes(self, pool_name):
        return list(self.pools.get(pool_name, []))


def disk(target, source):
    return {"target": target, "source": source, "serial": None}


@pytest.fixture
def node(tmp_path):
    return Node("hv1", tmp_path / "root", FakeCompute(), None, None, "qemu", STACK, storage=FakeStorage(),
                disk_images=None, consoles=None, config_drives=None)


def write(path: Path, size: int = 4096, age: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def allocated(*paths: Path) -> int:
    return sum(p.stat().st_blocks * 512 for p in paths)


def data(node) -> dict:
    return inventory.node_inventory(node, {}).data


def test_a_marked_domain_is_listed_with_its_host_state_and_disk_sources(node):
    node.compute.add("hf-h1", {"stack": STACK, "host": "h1"}, "shutoff",
                     [disk("vda", "/r/instances/h1/disk.qcow2"), disk("vdb", "/r/instances/h1/config.iso"),
                      disk("hdc", None), disk("vdc", "/dev/vg/vol-v.raw")])
    node.compute.add("hf-h0", {"stack": STACK}, "running")
    assert data(node)["domains"] == [
        {"domain": "hf-h0", "host": None, "state": "running", "disks": []},
        {"domain": "hf-h1", "host": "h1", "state": "shutoff",
         "disks": ["/r/instances/h1/disk.qcow2", "/r/instances/h1/config.iso", "/dev/vg/vol-v.raw"]},
    ]


def test_domains_without_the_stacks_mark_are_left_out(node):
    node.compute.add("hf-mine", {"stack": STACK, "host": "h1"})
    node.compute.add("hf-other-stack", {"stack": "other", "host": "h2"})
    node.compute.add("someone-elses-vm", {})
    assert [d["domain"] for d in data(node)["domains"]] == ["hf-mine"]


def test_a_domain_undefined_while_it_is_read_is_left_out(node):
    node.compute.add("hf-h1", {"stack": STACK, "host": "h1"}, "absent")
    assert data(node)["domains"] == []


def test_each_instance_directory_is_listed_with_its_files_and_their_allocated_size(node):
    files = [write(node.root_disk("h2"), 8192), write(node.console_log("h2"), 100), write(node.config_drive("h1"))]
    (node.root / "instances" / "not-a-dir").write_text("")
    assert data(node)["instances"] == [
        {"host": "h1", "files": ["config.iso"], "bytes": allocated(files[2])},
        {"host": "h2", "files": ["console.log", "disk.qcow2"], "bytes": allocated(*files[:2])},
    ]


def test_without_an_instances_directory_there_are_no_instances(node):
    assert data(node)["instances"] == []


def test_leftover_temporary_files_anywhere_under_the_root_are_found_with_their_age(node):
    leftovers = [write(node.instance_dir("h1") / "disk.tmp.qcow2", age=2 * HOUR),
                 write(node.root / "images" / "img-0123456789abcdef.qcow2.tmp", age=HOUR),
                 write(node.root / "images" / "img-0123456789abcdef.vmdk.part"),
                 write(node.root / "images" / "img-fedcba9876543210.qcow2.src"),
                 write(node.config_drive("h1").with_suffix(".tmp"))]
    write(node.root_disk("h1"), age=2 * HOUR)
    write(node.root / "images" / "img-0123456789abcdef.qcow2")
    found = {Path(f["path"]): f for f in data(node)["temp_files"]}
    assert set(found) == set(leftovers)
    assert found[leftovers[0]]["bytes"] == allocated(leftovers[0])
    assert 2 * HOUR <= found[leftovers[0]]["age_s"] < 2 * HOUR + 60
    assert HOUR <= found[leftovers[1]]["age_s"] < HOUR + 60
    assert 0 <= found[leftovers[2]]["age_s"] < 60


def test_the_pools_volumes_are_listed_with_their_capacity(node):
    node.storage.pools["hostflow-hv1"] = [{"name": "vol-a.raw", "path": "/v/vol-a.raw", "capacity": 1 << 30,
                                           "allocation": 4096}]
    node.storage.pools["hostflow-other"] = [{"name": "vol-b.raw", "path": "/w/vol-b.raw", "capacity": 1,
                                             "allocation": 0}]
    assert data(node)["volumes"] == [{"name": "vol-a.raw", "path": "/v/vol-a.raw", "bytes": 1 << 30,
                                      "allocated_bytes": 4096}]


def test_an_absent_pool_is_an_empty_list_of_volumes(node):
    """libvirt's own test driver (in this process, no daemon), which has no such pool."""
    node.storage = LibvirtStorage(LibvirtConnection("test:///default"))
    try:
        assert node.storage.volumes("hostflow-hv1") == []
        assert data(node)["volumes"] == []
    finally:
        node.storage.close()


def test_it_names_the_node_and_when_it_looked(node):
    before = time.time()
    out = data(node)
    assert out["node"] == "hv1"
    observed = datetime.fromisoformat(out["observed_at"])
    assert observed.tzinfo == UTC and before - 1 <= observed.timestamp() <= time.time() + 1


def tree(root: Path) -> dict:
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def test_taking_it_twice_changes_nothing(node):
    node.compute.add("hf-h1", {"stack": STACK, "host": "h1"}, disks=[disk("vda", str(node.root_disk("h1")))])
    write(node.root_disk("h1"))
    write(node.instance_dir("h1") / "disk.tmp.qcow2", age=HOUR)
    before = tree(node.root)
    first, second = inventory.node_inventory(node, {}), inventory.node_inventory(node, {})
    assert tree(node.root) == before
    assert (first.changed, first.before, first.after) == (second.changed, second.before, second.after) == \
        (False, "read", "read")
    assert first.note == "1 domains, 1 instances, 0 volumes, 1 temp files"
    for key in ("domains", "instances", "volumes"):
        assert first.data[key] == second.data[key]
    assert inventory.plan_node_inventory(node, {}).noop


def test_it_runs_on_a_hypervisors_queue(node, monkeypatch):
    monkeypatch.setattr(jobs, "get_current_job", lambda: SimpleNamespace(origin="hv.hv1", meta={}))
    monkeypatch.setattr(jobs.bootstrap, "node_context", lambda *_a, **_k: node)
    result = jobs.run_function("node_inventory", {})
    assert result["ok"] is True and result["outcome"]["data"]["node"] == "hv1"


def test_the_planner_asks_the_hypervisors_node_in_a_fresh_job(node):
    calls = []

    def run(queue, job_id, function, request, reuse=True, mode="do"):
        calls.append((queue, job_id, function, request, reuse))
        return {"ok": True, "outcome": inventory.node_inventory(node, request).to_dict()}

    planner = Planner(None, SimpleNamespace(run=run), None, None)
    assert planner.inventory("hv1")["node"] == "hv1"
    planner.inventory("hv1")
    (queue, job_id, function, request, reuse), second = calls
    assert (queue, function, request, reuse) == ("hv.hv1", "node_inventory", {}, False)
    assert job_id.startswith("inventory_") and second[1] != job_id
