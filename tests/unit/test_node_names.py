"""A node's name is a host name label (letters, digits, '-'), because every job a node
runs or queues is named `<node>__<id>` and its Redis user reaches only those keys
(infra.queue.node_job_id; docs/operations.md#redis-users)."""
import pytest

from infra.queue import job_id_on, node_job_id
from workers import process


@pytest.mark.parametrize("node", ["hv_1", "hv.1", "", "-hv", "hv 1"])
def test_a_hypervisor_worker_with_a_name_that_is_not_a_label_refuses_to_start(node, capsys):
    with pytest.raises(SystemExit) as info:
        process.main(["--role", "hv", f"--node={node}"])
    assert info.value.code == 2
    assert "a node name is letters, digits and '-'" in capsys.readouterr().err


def test_a_job_on_a_nodes_queue_is_named_after_the_node():
    assert job_id_on("hv.hv1", "op_step") == node_job_id("hv1", "op_step") == "hv1__op_step"


@pytest.mark.parametrize("queue_name", ["control", "flows"])
def test_a_job_on_a_control_plane_queue_keeps_its_id(queue_name):
    assert job_id_on(queue_name, "op_step") == "op_step"
