from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Outcome:
    """What a function did: whether it changed anything, the state before and after."""

    changed: bool
    before: Any = None
    after: Any = None
    note: str = ""
    data: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> Outcome:
        return cls(**raw)

    @classmethod
    def unchanged(cls, state: Any, note: str = "already done", **data) -> Outcome:
        return cls(changed=False, before=state, after=state, note=note, data=data)


@dataclass
class Plan:
    """The decide step's verdict: what would change, without acting."""

    action: str
    detail: str = ""

    @property
    def noop(self) -> bool:
        return self.action == "none"

    def to_dict(self) -> dict:
        return {"action": self.action, "detail": self.detail}
