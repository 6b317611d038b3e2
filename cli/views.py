"""Human-readable tables for the `hostflow` command (`--json` prints the API's answers)."""
from __future__ import annotations


def table(headers: list[str], rows: list[list]) -> str:
    cells = [headers] + [["-" if v is None or v == "" else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells)


def flavor(f: dict) -> str:
    ram = f"{f['ram_mb'] // 1024}g" if f["ram_mb"] % 1024 == 0 else f"{f['ram_mb']}m"
    return f"{f['vcpus']}c{ram} disk={f['disk_gb']}g"


def hosts(answer: dict) -> str:
    rows = [[h["name"], h["env"], h["state"], h["hypervisor"], flavor(h["flavor"]),
             ",".join(a.get("address", "") if isinstance(a, dict) else str(a) for a in h.get("addresses") or []),
             h["fqdn"], h["id"]] for h in answer["hosts"]]
    return table(["NAME", "ENV", "STATE", "HYPERVISOR", "FLAVOR", "ADDRESSES", "FQDN", "ID"], rows)


def operations(answer: dict) -> str:
    rows = [[op["id"], op["kind"], op["state"], op.get("created"), op.get("requester"),
             op.get("host_id") or op.get("volume_id") or op.get("backup_id"),
             (op.get("error") or {}).get("code")] for op in answer["operations"]]
    shown = f"{len(rows)} of {answer['total']}" if answer.get("total", len(rows)) != len(rows) else f"{len(rows)}"
    return table(["ID", "KIND", "STATE", "CREATED", "REQUESTER", "ON", "ERROR"], rows) + f"\n({shown} operations)"


def step_label(step: dict) -> str:
    return step["name"] if step["direction"] == "do" else f"undo {step['name']}"


def operation(op: dict) -> str:
    lines = [f"{op['kind']} {op['id']}: {op['state']}"]
    approval = op.get("approval")
    if approval:
        answer = f"{approval['decision']} by {approval['by']}" if approval.get("decision") else \
            f"waiting until {approval['deadline']}"
        lines.append(f"approval: {approval['reason']} ({answer})")
    if op.get("cancel_requested"):
        lines.append(f"cancel requested by {op['cancel_requested_by']} at {op['cancel_requested']}")
    if op.get("error"):
        lines.append(f"error: {op['error']['code']}: {op['error']['message']}")
    steps = [[step_label(s), s["node"], s["state"], s.get("note")] for s in op.get("steps") or []]
    if steps:
        lines.append(table(["STEP", "NODE", "STATE", "NOTE"], steps))
    return "\n".join(lines)


def accepted(answer: dict) -> str:
    op = answer["operation"]
    extra = [f"{k} {v['id']}" for k, v in answer.items() if isinstance(v, dict) and k != "operation" and "id" in v]
    return f"operation {op['id']} {op['state']}: {op['url']}" + (f" ({', '.join(extra)})" if extra else "")


def tokens(answer: dict) -> str:
    rows = [[t["id"], t["name"], t["role"], ",".join(t.get("projects") or []) or "*", t.get("created"),
             t.get("revoked")] for t in answer["tokens"]]
    return table(["ID", "NAME", "ROLE", "PROJECTS", "CREATED", "REVOKED"], rows)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _sources(answer: dict) -> str:
    unread = [f"{name} ({s['code']}: {s['error']})" for name, s in answer["sources"].items() if not s["ok"]]
    return "sources not read: " + ", ".join(unread) if unread else "every source read"


def _remedy(finding: dict) -> str:
    return f"safe: {finding['repair']['function']}" if finding["safe"] else finding["suggestion"]


def _findings(found: list[dict], last: str) -> list[str]:
    """A table of the findings grouped by kind, or nothing when there are none."""
    rows = [[f["kind"], f["subject"], f["evidence"], _remedy(f)] for f in sorted(found, key=lambda f: f["kind"])]
    return [table(["KIND", "SUBJECT", "EVIDENCE", last], rows)] if rows else []


def drift_report(answer: dict) -> str:
    safe = sum(1 for f in answer["findings"] if f["safe"])
    hint = " (hostflow drift --repair)" if safe else ""
    return "\n".join([*_findings(answer["findings"], "SAFE REPAIR OR SUGGESTION"),
                      f"{_plural(len(answer['findings']), 'finding')}, {safe} safe{hint}; {_sources(answer)}"])


UNDONE = {"failed", "rolled_back", "cancelled", "rejected"}  # a repair that ended without repairing


def drift_repairs(answer: dict) -> str:
    rows = [[r["operation"], r["state"], r["kind"], r["subject"], r["finding"]] for r in answer["repairs"]]
    lines = [table(["OPERATION", "STATE", "KIND", "SUBJECT", "FINDING"], rows)] if rows else []
    if any(r["state"] in UNDONE for r in answer["repairs"]):
        lines.append("a repair that ended undone stays so when asked again: retry it with `hostflow retry <operation>`")
    if answer["left"]:
        lines += ["left for an operator:", *_findings(answer["left"], "SUGGESTION")]
    read = "every source read" if answer["complete"] else "some sources not read (hostflow drift says which)"
    lines.append(f"{_plural(len(rows), 'repair')} submitted, {_plural(len(answer['left']), 'finding')} left for an "
                 f"operator; {read}")
    return "\n".join(lines)
