"""Domain name operations: register a business name for a host (ensure the record set,
verified at the authoritative server), and remove one."""
from __future__ import annotations

from prefect import flow

from flows.engine import Step, on_control, run_recorded


def _record(ctx: dict) -> dict:
    return {k: ctx[k] for k in ("host_id", "fqdn", "type", "value", "ttl", "force")} | {
        "kind": "business", "project": ctx.get("project")}


def _name(ctx: dict) -> dict:
    return {"host_id": ctx["host_id"], "fqdn": ctx["fqdn"]}


REGISTER = [Step("ensure_record", "ensure_record", on_control, _record)]
REMOVE = [Step("remove_record", "remove_record", on_control, _name)]


@flow(name="register-domain-name", flow_run_name="register {ctx[fqdn]} for {ctx[name]}", persist_result=False)
def register_domain_name(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, REGISTER, ctx)


@flow(name="remove-domain-name", flow_run_name="remove {ctx[fqdn]} of {ctx[name]}", persist_result=False)
def remove_domain_name(operation_id: str, ctx: dict) -> dict:
    return run_recorded(operation_id, REMOVE, ctx)
