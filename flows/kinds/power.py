"""Power actions: their context and what their ends mean for the host record.

The host is taken `active` -> a busy state (`stopping`, ...) while its action runs and is
`active` again at the end, whatever happened. A successful action records the power
state its last step saw; after a failed one, the node's next report tells."""
from __future__ import annotations

from flows import power
from flows.kinds.base import Kind, Stores
from flows.kinds.hosts import host_boot_wait
from infra.settings import Settings

ACTIONS = tuple(power.STEPS)
KIND_OF = {action: f"{action}_host" for action in ACTIONS}
ACTION_OF = {kind: action for action, kind in KIND_OF.items()}


def _ctx(op: dict, st: Stores, settings: Settings) -> dict:
    host = st.hosts.get(op["host_id"])
    return {"operation_id": op["id"], "host_id": host["id"], "name": host["name"], "hypervisor": host["hypervisor"],
            "action": ACTION_OF[op["kind"]], "force": bool(op["params"].get("force")),
            "addresses": [a["cidr"] for a in host["addresses"]], "stop_timeout": settings.stop_timeout,
            **host_boot_wait(st.images, host, settings)}


def _done(op: dict, st: Stores, ctx: dict) -> dict:
    st.power.record(op["host_id"], ctx["power_state"], op["kind"])
    st.hosts.update(op["host_id"], state="active")
    return {"host_id": op["host_id"], "action": ctx["action"], "power_state": ctx["power_state"],
            **({"guest": ctx["guest"]} if ctx.get("guest") else {})}


def _ended(op: dict, st: Stores, _outcomes: dict, _rolled_back: bool) -> None:
    """Where the domain is now, its node reports (its lifecycle events, its sync)."""
    st.hosts.update(op["host_id"], state="active")


POWER_KINDS: dict[str, Kind] = {KIND_OF[a]: Kind(power.FLOWS[a], _ctx, _done, _ended) for a in ACTIONS}
