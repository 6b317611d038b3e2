"""ServiceNow: a request item in (basic or bearer auth, per source), its work notes
updated out (Table API `PATCH /api/now/table/{table}/{sys_id}`).

The item arrives as a business rule or flow posts it: the record's fields at the top
(`sys_id`, `number`, `cat_item`, `approval`, `opened_by`, ...; a reference either a
string or `{"value", "display_value"}`) and the catalog variables under `variables`."""
from __future__ import annotations

from urllib.parse import quote

from infra.errors import Invalid
from webhooks.ticket import Report, Ticket
from webhooks.tickets.mapping import Mapping, lookup

DEFAULT_MAPPING = {
    "rules": [
        {"match": {"cat_item": "Virtual Host", "approval": "approved"}, "operation": "allocate_host"},
        {"match": {"cat_item": "Host Decommission", "approval": "approved"}, "operation": "reclaim_host"},
    ],
    "fields": {"name": "variables.host_name", "env": "variables.environment", "image": "variables.image",
               "vcpus": "variables.vcpus", "ram_mb": "variables.ram_mb", "disk_gb": "variables.disk_gb",
               "project": "variables.project", "names": "variables.business_names", "requester": "opened_by"},
    "defaults": {},
}


def mapping(settings) -> Mapping:
    return Mapping.parse(settings.servicenow_mapping, DEFAULT_MAPPING)


def ticket(payload: dict, rules: Mapping, default_table: str) -> Ticket | None:
    sys_id = lookup(payload, "sys_id")
    if not sys_id:
        raise Invalid("not a ServiceNow record: sys_id is missing", code="missing_fields",
                      details={"missing": [{"field": "sys_id", "path": "sys_id"}]})
    kind = rules.operation(payload)
    if kind is None:
        return None
    table = lookup(payload, "sys_class_name") or default_table
    return Ticket(source="servicenow", kind=kind, params=rules.request(kind, payload),
                  key=f"servicenow:{table}:{sys_id}:{kind}",
                  requester=str(lookup(payload, rules.fields.get("requester", "opened_by")) or "unknown"),
                  reply_to={"target": "servicenow", "table": table, "sys_id": sys_id,
                            "number": lookup(payload, "number")})


def work_notes(reply_to: dict, text: str, settings) -> Report:
    """Only to the configured instance; none configured: no URL (`servicenow_url_unset`)."""
    if not settings.servicenow_url:
        return Report("PATCH", "", {"work_notes": text})
    base = settings.servicenow_url.rstrip("/")
    return Report("PATCH", f"{base}/api/now/table/{quote(reply_to['table'])}/{quote(reply_to['sys_id'])}",
                  {"work_notes": text})


def auth(settings) -> tuple[str, str] | None:
    return (settings.servicenow_user, settings.servicenow_password) if settings.servicenow_user else None
