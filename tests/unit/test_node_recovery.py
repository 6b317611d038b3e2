"""A hypervisor worker's start: stale copy jobs ended, frozen guests thawed, temporary
files removed, and nothing else touched; a second start finds nothing to do. With a
fake compute adapter; the real copy job is tests/integration/test_node_recovery.py's."""
from pathlib import Path

import pytest

from functions.node import Node
from functions.recovery import recover_node
from infra.errors import ComputeError

STACK = "s"


class Compute:
    """Domains with their live disks, copy jobs and freeze state, as LibvirtCompute shows them."""

    def __init__(self):
        self.domains: dict[str, dict] = {}
        self.calls: list[tuple] = []

    def add(self, name, state="running", jobs=(), frozen=None, agent=True):
        self.domains[name] = {"state": state, "jobs": set(jobs), "frozen": frozen, "agent": agent}

    def power_states(self, stack):
        return [{"domain": n, "host": n, "state": d["state"]} for n, d in self.domains.items()]

    def disks(self, name, live=False):
        return [{"target": t, "source": f"/d/{name}-{t}", "serial": None} for t in ("vda", "vdb")]

    def block_job(self, name, target):
        return {"cur": 1, "end": 2} if target in self.domains[name]["jobs"] else None

    def block_job_abort(self, name, target):
        self.calls.append(("abort", name, target))
        self.domains[name]["jobs"].discard(target)

    def agent(self, name, command, arguments=None, timeout=2):
        if not self.domains[name]["agent"]:
            raise ComputeError("QEMU guest agent is not configured", code="compute_error")
        return {True: "frozen", False: "thawed", None: None}[self.domains[name]["frozen"]]

    def fs_thaw(self, name):
        self.calls.append(("thaw", name))
        self.domains[name]["frozen"] = False
        return 1


@pytest.fixture
def node(tmp_path):
    return Node("hv1", tmp_path / "root", Compute(), None, None, "qemu", STACK, disk_images=None, consoles=None,
                config_drives=None)


def touch(node, relative: str) -> Path:
    path = node.root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_a_copy_job_left_running_is_ended_without_touching_other_disks(node):
    node.compute.add("d1", jobs={"vdb"})
    outcome = recover_node(node, {})
    assert node.compute.calls == [("abort", "d1", "vdb")]
    assert outcome.changed and outcome.data["copy_jobs_ended"] == ["d1:vdb"]


def test_a_guest_left_frozen_is_thawed_and_a_thawed_one_is_left_alone(node):
    node.compute.add("frozen", frozen=True)
    node.compute.add("fine", frozen=False)
    assert recover_node(node, {}).data["thawed"] == ["frozen"]
    assert node.compute.calls == [("thaw", "frozen")]


def test_a_guest_without_an_agent_or_not_running_is_not_asked(node):
    node.compute.add("noagent", agent=False)
    node.compute.add("off", state="shutoff", jobs={"vda"}, frozen=True)
    outcome = recover_node(node, {})
    assert not outcome.changed and node.compute.calls == []


def test_temporary_files_are_removed_and_finished_files_kept(node):
    part = touch(node, "snapshots/i1.qcow2.part")
    tmp = touch(node, "instances/h1/disk.tmp.qcow2")
    kept = touch(node, "instances/h1/disk.qcow2")
    outcome = recover_node(node, {})
    assert sorted(outcome.data["temp_files_removed"]) == sorted([str(part), str(tmp)])
    assert not part.exists() and not tmp.exists() and kept.exists()


def test_a_second_start_finds_nothing_to_do(node):
    node.compute.add("d1", jobs={"vda"}, frozen=True)
    touch(node, "images/x.part")
    recover_node(node, {})
    again = recover_node(node, {})
    assert not again.changed
    assert again.data == {"copy_jobs_ended": [], "thawed": [], "temp_files_removed": []}
