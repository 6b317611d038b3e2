"""A hypervisor worker's start-up recovery against real libvirtd and a QEMU TCG guest:
the copy job a live snapshot left running when its worker died is ended, its partial
file removed, and the guest runs on its own disk."""
import uuid

import pytest

from functions import compute, disks
from functions.recovery import recover_node
from infra.domain_xml import domain_name
from tests.integration.test_node_functions import bring_up, requests


@pytest.fixture(scope="module")
def guest(node, test_image):
    host_id = str(uuid.uuid4())
    req = requests(test_image, host_id, "it-recover", "10.213.9.31")
    bring_up(node, req)
    yield host_id
    compute.ensure_undefined(node, req["host"])
    disks.delete_instance_files(node, req["host"])


def test_a_copy_job_left_by_a_dead_worker_is_ended_and_its_partial_file_removed(node, guest):
    name = domain_name(guest)
    part = node.root / "snapshots" / f"{uuid.uuid4()}.qcow2.part"
    node.make_dir(part.parent)
    node.compute.block_copy(name, "vda", str(part))
    assert node.compute.block_job(name, "vda") is not None
    outcome = recover_node(node, {})
    assert outcome.data["copy_jobs_ended"] == [f"{name}:vda"]
    assert str(part) in outcome.data["temp_files_removed"]
    assert node.compute.block_job(name, "vda") is None and not part.exists()
    assert node.compute.power_state(name) == "running"
    assert [d["source"] for d in node.compute.disks(name, live=True) if d["target"] == "vda"] == \
        [str(node.root_disk(guest))]


def test_a_second_start_finds_nothing_left(node, guest):
    assert not recover_node(node, {}).changed
