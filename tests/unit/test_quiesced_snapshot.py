"""A live copy of a disk of a guest with an agent (a snapshot's root disk, a live
backup's volume) is quiesced: its filesystems are frozen just before the ready copy job
is ended (the moment the copy stands for) and thawed on every path
(functions.live_copy)."""
from pathlib import Path

import pytest

from functions import live_copy
from functions.node import Node
from infra.errors import ComputeError


class Compute:
    """A running domain with a ready copy job; `agent`: what fs_freeze does."""

    def __init__(self, agent="freezes", abort_fails=False):
        self.calls, self.agent, self.abort_fails, self.job = [], agent, abort_fails, False

    def block_job_abort(self, name, target):
        if self.job:
            self.calls.append("abort")
            self.job = False
            if self.abort_fails:
                raise ComputeError("blockJobAbort failed")

    def block_copy(self, name, target, dest, fmt):
        self.calls.append("copy")
        self.job = True

    def block_job(self, name, target):
        return {"cur": 10, "end": 10} if self.job else None

    def fs_freeze(self, name):
        self.calls.append("freeze")
        if self.agent == "broken":
            raise ComputeError("guest agent freeze failed", code="guest_agent_error")
        return 2 if self.agent == "freezes" else None

    def fs_thaw(self, name):
        self.calls.append("thaw")
        return 2


def node(compute) -> Node:
    return Node("n", Path("/n"), compute, None, None, "qemu", "s", disk_images=None, consoles=None,
                config_drives=None)


def test_with_an_agent_the_copy_ends_between_freeze_and_thaw(tmp_path):
    compute = Compute()
    assert live_copy.copy_live(node(compute), "hf-h1", "vda", tmp_path / "c.qcow2") is True
    assert compute.calls == ["copy", "freeze", "abort", "thaw"]


@pytest.mark.parametrize("agent", ["absent", "broken"])
def test_without_a_working_agent_the_copy_is_taken_unquiesced_and_says_so(tmp_path, agent):
    compute = Compute(agent=agent)
    assert live_copy.copy_live(node(compute), "hf-h1", "vda", tmp_path / "c.qcow2") is False
    assert compute.calls == ["copy", "freeze", "abort"]


def test_the_guest_is_thawed_even_when_ending_the_copy_fails(tmp_path):
    compute = Compute(abort_fails=True)
    with pytest.raises(ComputeError):
        live_copy.copy_live(node(compute), "hf-h1", "vda", tmp_path / "c.qcow2")
    assert compute.calls[-1] == "thaw"


@pytest.mark.parametrize("agent", ["absent", "broken"])
def test_a_copy_that_must_be_quiesced_fails_without_a_working_agent(tmp_path, agent):
    compute = Compute(agent=agent)
    with pytest.raises(ComputeError) as info:
        live_copy.copy_live(node(compute), "hf-h1", "vdb", tmp_path / "c.raw", "raw", must_quiesce=True)
    assert info.value.code == "quiesce_failed"
    assert compute.calls == ["copy", "freeze", "abort"] and not compute.job
