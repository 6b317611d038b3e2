"""Taking a record for an operation: a compare-and-swap of its state that runs in the
transaction recording the operation (OperationStore.create's `before_insert`), so two
requests can never both take it and a refused one records nothing."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import update

from infra.errors import Conflict

BeforeInsert = Callable[[object], None]


def take(model, row_id: str, from_states: set[str], to_state: str, code: str | Callable[[str], str],
         **fields) -> BeforeInsert:
    """Moves the row from one of from_states to to_state, or a 409 naming the state it is in;
    `code` is the error code, or a function of that state giving it."""

    def before_insert(session) -> None:
        result = session.execute(update(model).where(model.id == row_id, model.state.in_(from_states))
                                 .values(state=to_state, **fields))
        if result.rowcount != 1:
            state = session.get(model, row_id).state
            raise Conflict(f"{model.__tablename__.removesuffix('s')} {row_id} is {state}",
                           code=code(state) if callable(code) else code, details={"state": state})

    return before_insert


def all_of(*steps: BeforeInsert) -> BeforeInsert:
    """Several takes (and inserts) in the one transaction."""

    def before_insert(session) -> None:
        for step in steps:
            step(session)

    return before_insert
