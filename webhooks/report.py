"""The text a ticket gets when its operation ends."""
from __future__ import annotations


def summary(op: dict, link: str) -> str:
    verb = {"allocate_host": "Allocation", "reclaim_host": "Reclaim"}.get(op["kind"], op["kind"])
    if op["state"] == "succeeded":
        lines = [f"{verb} succeeded.", *_result_lines(op.get("result") or {})]
    else:
        error = op.get("error") or {}
        lines = [f"{verb} {op['state'].replace('_', ' ')}: {error.get('code', 'error')}: {error.get('message', '')}"]
    return "\n".join([*lines, f"Operation: {link}"])


def _result_lines(result: dict) -> list[str]:
    lines = []
    if result.get("name"):
        lines.append(f"Host: {result['name']}")
    if result.get("fqdn"):
        lines.append(f"FQDN: {result['fqdn']}")
    addresses = [a["address"] for a in result.get("addresses") or [] if a.get("address")]
    if addresses:
        lines.append(f"Address: {', '.join(addresses)}")
    if result.get("reclaimed"):
        lines.append(f"Host {result.get('host_id')} is reclaimed.")
    return lines
