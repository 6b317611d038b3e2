"""Sessions on SQLite: writers take the lock when they begin; readers never wait for it."""
import threading

import pytest
from sqlalchemy import select

from infra.db.models import ApiToken
from infra.db.tokens import TokenStore


def test_a_read_is_answered_while_a_writer_holds_the_lock(db):
    TokenStore(db).create("first", "viewer")
    answered = threading.Event()

    def read():
        with db.reading() as s:
            s.scalars(select(ApiToken)).all()
        answered.set()

    with db.session() as writer:
        writer.add(ApiToken(name="pending", token_hash="h" * 64, role="viewer", projects=[]))
        writer.flush()
        thread = threading.Thread(target=read)
        thread.start()
        assert answered.wait(5), "the read waited for the writer's transaction"
    thread.join()


def test_a_read_sees_what_was_committed_before_it_began(db):
    token, created = TokenStore(db).issue("ops", "operator", ["p1"])
    assert [t["id"] for t in TokenStore(db).list()] == [created["id"]]
    assert TokenStore(db).lookup(token)["projects"] == ["p1"]


def test_a_change_in_a_read_session_is_refused_and_not_written(db):
    with pytest.raises(RuntimeError, match="read-only"):
        with db.reading() as s:
            s.add(ApiToken(name="sneaky", token_hash="s" * 64, role="admin", projects=[]))
    assert TokenStore(db).list() == []
