"""Ticket fields -> an operation request, by a mapping held in settings.

A mapping is JSON (inline, or a file named by the setting):

    {"rules": [{"match": {"<path>": "<value>", ...}, "operation": "allocate_host"}, ...],
     "fields": {"name": "<path>", "env": ..., "image": ..., "vcpus": ..., "ram_mb": ...,
                "disk_gb": ..., "project": ..., "names": ...},
     "defaults": {"<field>": <value>, ...}}

A path is dotted into the payload (`issue.fields.customfield_10010`). The first rule
whose every path holds its value names the operation. Where a path ends on an object,
its display value is taken: a Jira option's `value`, a ServiceNow reference's
`display_value`. `disk_gb` is the size field; `names` the business names (a list, or
text with the names separated by commas or spaces), published as CNAMEs to the host.
The power actions (`stop_host`, `reboot_host`, ...) take the host's `name` and `env`, and
`force` (a forced stop, a hard reboot)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.errors import HostflowError, Invalid

POWER = ("start_host", "stop_host", "reboot_host", "suspend_host", "resume_host", "pause_host", "unpause_host")
OPERATIONS = ("allocate_host", "reclaim_host", *POWER)
REQUIRED = {
    "allocate_host": ("name", "env", "image", "vcpus", "ram_mb", "disk_gb"),
    "reclaim_host": ("name", "env"),
    **dict.fromkeys(POWER, ("name", "env")),
}
OPTIONAL = {"allocate_host": ("project", "names"), "reclaim_host": ("delete_volumes",),
            **dict.fromkeys(POWER, ("force",))}
FLAVOR = ("vcpus", "ram_mb", "disk_gb")


class MappingInvalid(HostflowError):
    """A configuration error, not the sender's: answered 503 (the sender retries, and the
    delivery succeeds once the mapping is fixed) with a message that says so."""

    code, status = "ticket_mapping_invalid", 503


@dataclass(frozen=True)
class Mapping:
    rules: tuple[dict, ...]
    fields: dict[str, str]
    defaults: dict[str, Any]

    @classmethod
    def parse(cls, setting: str, default: dict) -> Mapping:
        """`setting`: JSON, or the path of a file holding it; empty: `default`."""
        raw = default
        try:
            if setting.strip():
                text = setting if setting.lstrip().startswith("{") else Path(setting).read_text()
                raw = json.loads(text)
            rules = tuple(raw.get("rules", ()))
            unknown = [r.get("operation") for r in rules if r.get("operation") not in OPERATIONS]
            if unknown:
                raise ValueError(f"it names unknown operations {unknown}; known: {', '.join(OPERATIONS)}")
            if not all(isinstance(r.get("match"), dict) for r in rules):
                raise ValueError("every rule needs a `match` object")
            return cls(rules, dict(raw.get("fields", {})), dict(raw.get("defaults", {})))
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise MappingInvalid(f"the ticket mapping in settings is unusable: {exc}") from exc

    def operation(self, payload: dict) -> str | None:
        for rule in self.rules:
            if all(_text(lookup(payload, path)) == _text(want) for path, want in rule["match"].items()):
                return rule["operation"]
        return None

    def request(self, kind: str, payload: dict) -> dict:
        """The operation's request body; Invalid (`missing_fields`) naming every required
        field the payload lacks, and where the mapping looked for it."""
        values = {name: self._value(name, payload) for name in REQUIRED[kind] + OPTIONAL[kind]}
        missing = [name for name in REQUIRED[kind] if values[name] is None]
        if missing:
            where = [{"field": name, "path": self.fields.get(name)} for name in missing]
            listed = ", ".join(f"{w['field']} ({w['path'] or 'not mapped'})" for w in where)
            raise Invalid(f"the ticket lacks required fields: {listed}", code="missing_fields",
                          details={"missing": where})
        values = {k: v for k, v in values.items() if v is not None}
        if kind == "allocate_host":
            values["flavor"] = {k: _number(values.pop(k)) for k in FLAVOR}
            if "names" in values:
                values["names"] = _names(values["names"])
        return values

    def _value(self, name: str, payload: dict) -> Any:
        path = self.fields.get(name)
        value = lookup(payload, path) if path else None
        return self.defaults.get(name) if value in (None, "") else value


def lookup(payload: Any, path: str) -> Any:
    node = payload
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    if isinstance(node, dict):
        return next((node[k] for k in ("display_value", "value", "name") if node.get(k) not in (None, "")), None)
    return node


def _names(value: Any) -> Any:
    """A text field of names becomes their list; anything else is left for validation."""
    if isinstance(value, str):
        return [n for n in value.replace(",", " ").split() if n]
    return value


def _text(value: Any) -> str | None:
    return None if value is None else str(value).strip().lower()


# ASCII digits, few enough for int(): str.isdigit() lets "²" through, which int() refuses
WHOLE = re.compile(r"[0-9]{1,18}")


def _number(value: Any) -> Any:
    """Jira number fields arrive as floats (2.0), ServiceNow variables as strings ("2");
    anything else is left for validation to refuse."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    return value
