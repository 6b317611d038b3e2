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
