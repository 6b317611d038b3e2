"""Domain name operations: their contexts and what their ends mean for the ownership
records. A registration that fails leaves its record (if it got that far) `error`: still
hostflow's, so the retry, a removal or the host's reclaim finishes or undoes it."""
from __future__ import annotations

from flows import dns
from flows.kinds.base import Kind, Stores
from infra.settings import Settings


def target(host: dict, rtype: str) -> str | None:
    """What a business name of the host points at: its fqdn (CNAME) or its first (vm) address (A)."""
    if rtype == "CNAME":
        return host["fqdn"]
    return host["addresses"][0]["address"] if host["addresses"] else None


def _register_ctx(op: dict, st: Stores, settings: Settings) -> dict:
    host, p = st.hosts.get(op["host_id"]), op["params"]
    return {"operation_id": op["id"], "host_id": host["id"], "name": host["name"], "fqdn": p["fqdn"],
            "type": p["type"], "value": target(host, p["type"]), "ttl": p.get("ttl") or settings.dns_ttl,
            "force": p.get("force", False), "project": host["project"]}


def _registered(op: dict, st: Stores, ctx: dict) -> dict:
    return {"host_id": op["host_id"], "record": st.dns_records.find(ctx["fqdn"], ctx["type"])}


def _register_failed(op: dict, st: Stores, _outcomes: dict, _rolled_back: bool) -> None:
    records = st.dns_records
    record = records.find(op["params"]["fqdn"], op["params"]["type"])
    if record and record["host_id"] == op["host_id"] and record["state"] == "pending":
        records.set_state(record["id"], "error")


def _remove_ctx(op: dict, st: Stores, _settings: Settings) -> dict:
    host = st.hosts.get(op["host_id"])
    return {"operation_id": op["id"], "host_id": host["id"], "name": host["name"], "fqdn": op["params"]["fqdn"]}


def _removed(op: dict, _st: Stores, ctx: dict) -> dict:
    return {"host_id": op["host_id"], "fqdn": ctx["fqdn"], "removed": True}


def _nothing(_op: dict, _st: Stores, _outcomes: dict, _rolled_back: bool) -> None:
    """The names stay hostflow's records; the retry removes them."""


DNS_KINDS: dict[str, Kind] = {
    "register_domain_name": Kind(dns.register_domain_name, _register_ctx, _registered, _register_failed),
    "remove_domain_name": Kind(dns.remove_domain_name, _remove_ctx, _removed, _nothing),
}
