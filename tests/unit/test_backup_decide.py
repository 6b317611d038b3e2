"""How a backup chunks a volume and what each chunk becomes in the manifest, as data; and
when an attached volume is backed up live, or refused."""
import hashlib
from pathlib import Path

import pytest

from functions.backups import _running_guest, chunk_spans, decide_chunk, summary, zeros_sha256
from functions.node import Node
from infra.errors import ComputeError

MIB = 1 << 20


def test_spans_cover_the_volume_and_the_last_may_be_short():
    assert chunk_spans(10 * MIB, 4 * MIB) == [(0, 0, 4 * MIB), (1, 4 * MIB, 4 * MIB), (2, 8 * MIB, 2 * MIB)]


def test_a_chunk_of_zeros_is_stored_as_no_object():
    entry, store = decide_chunk(3, MIB, None, None, "p/chunk-00000003")
    assert not store and entry == {"index": 3, "length": MIB, "sha256": zeros_sha256(MIB), "key": None}
    assert zeros_sha256(MIB) == hashlib.sha256(bytes(MIB)).hexdigest()


def test_a_chunk_unchanged_since_the_parent_references_the_parents_object():
    parent = {"index": 0, "length": MIB, "sha256": "aa", "key": "old/chunk-00000000"}
    entry, store = decide_chunk(0, MIB, "aa", parent, "new/chunk-00000000")
    assert not store and entry["key"] == "old/chunk-00000000"


def test_a_changed_chunk_is_stored_under_this_backup():
    parent = {"index": 0, "length": MIB, "sha256": "aa", "key": "old/chunk-00000000"}
    entry, store = decide_chunk(0, MIB, "bb", parent, "new/chunk-00000000")
    assert store and entry["key"] == "new/chunk-00000000" and entry["sha256"] == "bb"


def test_a_parent_chunk_of_zeros_is_not_referenced_for_data():
    parent = {"index": 0, "length": MIB, "sha256": zeros_sha256(MIB), "key": None}
    assert decide_chunk(0, MIB, "cc", parent, "new/chunk-00000000")[1]


def test_summary_counts_stored_referenced_and_zero_chunks():
    manifest = {"key": "new/manifest.json", "prefix": "new/", "size_bytes": 3 * MIB, "chunks": [
        {"index": 0, "length": MIB, "sha256": "a", "key": "new/chunk-00000000"},
        {"index": 1, "length": MIB, "sha256": "b", "key": "old/chunk-00000001"},
        {"index": 2, "length": MIB, "sha256": zeros_sha256(MIB), "key": None}]}
    assert summary(manifest) == {"manifest": "new/manifest.json", "size_bytes": 3 * MIB, "chunks": 3,
                                 "stored_chunks": 1, "stored_bytes": MIB, "zero_chunks": 1, "referenced_chunks": 1}


class Domains:
    def __init__(self, state: str):
        self._state = state

    def state(self, name: str) -> str:
        return self._state


def guest_of(state: str, **req):
    node = Node("n", Path("/n"), Domains(state), None, None, "qemu", "s", disk_images=None, consoles=None,
                config_drives=None)
    return _running_guest(node, {"volume_id": "v1", **req})


def test_a_detached_volume_or_a_stopped_guests_is_copied_as_it_is():
    assert guest_of("running") is None
    assert guest_of("shutoff", host_id="h1", readiness="agent") is None


def test_a_running_guest_with_an_agent_is_backed_up_live():
    assert guest_of("running", host_id="h1", readiness="agent") == "hf-h1"


@pytest.mark.parametrize("readiness", ["serial", "none", None])
def test_a_running_guest_without_an_agent_is_refused(readiness):
    with pytest.raises(ComputeError) as info:
        guest_of("running", host_id="h1", readiness=readiness)
    assert info.value.code == "guest_running" and "guest agent" in info.value.message
