"""Idempotency-key semantics of the operation record."""
import pytest

from infra.db.operations import OperationStore, fingerprint
from infra.errors import Conflict, Invalid


def test_same_key_same_request_returns_same_operation(any_db):
    store = OperationStore(any_db)
    first, created = store.create("allocate_host", "key-1", {"name": "a"})
    again, created_again = store.create("allocate_host", "key-1", {"name": "a"})
    assert created and not created_again and again["id"] == first["id"]


def test_same_key_different_request_is_refused(any_db):
    store = OperationStore(any_db)
    store.create("allocate_host", "key-1", {"name": "a"})
    with pytest.raises(Invalid) as info:
        store.create("allocate_host", "key-1", {"name": "b"})
    assert info.value.code == "idempotency_key_reused" and info.value.status == 422


def test_fingerprint_ignores_key_order():
    assert fingerprint("k", {"a": 1, "b": 2}) == fingerprint("k", {"b": 2, "a": 1})


def test_state_changes_are_compare_and_swap(any_db):
    store = OperationStore(any_db)
    op, _ = store.create("allocate_host", "k", {})
    assert store.transition(op["id"], {"queued"}, "running")
    assert not store.transition(op["id"], {"queued"}, "running")


def test_only_a_failed_operation_can_be_retried(any_db):
    store = OperationStore(any_db)
    op, _ = store.create("allocate_host", "k", {})
    with pytest.raises(Conflict):
        store.reopen_for_retry(op["id"])
    store.transition(op["id"], {"queued"}, "failed", error_code="x", error_message="y")
    assert store.reopen_for_retry(op["id"])["state"] == "queued"
