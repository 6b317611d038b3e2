"""Dry runs: each step's decide, observed on the node that would run it, nothing acted on."""
from __future__ import annotations

import uuid

from flows import allocate_host, power, reclaim_host, volumes
from flows.engine import Step
from flows.kinds.hosts import allocate_context, reclaim_context
from functions.registry import FUNCTIONS
from infra.db.ipam import mac_for

PENDING = "(allocated when run)"


class Planner:
    def __init__(self, control, dispatcher, settings, images):
        self.control, self.dispatcher, self.settings, self.images = control, dispatcher, settings, images

    def allocate(self, body) -> dict:
        host = {"id": f"dry-run-{uuid.uuid4()}", "name": body.name, "project": body.project, "env": body.env,
                "fqdn": f"{body.name}.{body.env}.{self.settings.dns_zone}", "flavor": body.flavor.model_dump(),
                "ssh_keys": body.ssh_keys, "user_data": body.user_data, "image": body.image}
        ctx = allocate_context({"id": "dry-run", "params": {"hypervisor": body.hypervisor}}, host, self.images,
                               self.settings)
        nodes = self.control.capacity.candidates(**host["flavor"], only=body.hypervisor)
        ctx["hypervisor"] = nodes[0] if nodes else None
        ctx["leases"] = [{"mac": mac_for(host["id"], n["name"]), "cidr": PENDING, "address": PENDING,
                          "gateway": n["gateway"], "network": n["name"]} for n in ctx["networks"]]
        ctx["lease"] = ctx["leases"][0] if ctx["leases"] else None
        if body.names:
            ctx["names"] = body.names
        return {"dry_run": True, "operation": "allocate_host", "steps": self._plan(allocate_host.steps_for(ctx), ctx)}

    def reclaim(self, host: dict, volume_ids: list[str] | None = None) -> dict:
        ctx = reclaim_context({"id": "dry-run"}, host, volume_ids)
        steps = reclaim_host.steps_for(ctx)
        return {"dry_run": True, "operation": "reclaim_host", "host": host["id"], "steps": self._plan(steps, ctx)}

    def power(self, host: dict, action: str, force: bool) -> dict:
        ctx = {"host_id": host["id"], "name": host["name"], "hypervisor": host["hypervisor"], "force": force,
               "addresses": [a["cidr"] for a in host["addresses"]], "stop_timeout": self.settings.stop_timeout}
        return {"dry_run": True, "operation": f"{action}_host", "host": host["id"],
                "steps": self._plan(power.STEPS[action], ctx)}

    def console(self, host: dict, lines: int) -> dict:
        """The tail of the host's serial console, as its node reads it: {"text", "exists"}."""
        if not host.get("hypervisor"):
            return {"text": "", "exists": False}
        result = self.dispatcher.run(f"hv.{host['hypervisor']}", f"console_{uuid.uuid4()}", "console_tail",
                                     {"host_id": host["id"], "lines": lines}, reuse=False)
        return result["outcome"]["data"]

    def inventory(self, hypervisor: str) -> dict:
        """What the hypervisor holds, as its node reads it (functions.inventory.node_inventory)."""
        result = self.dispatcher.run(f"hv.{hypervisor}", f"inventory_{uuid.uuid4()}", "node_inventory", {},
                                     reuse=False)
        return result["outcome"]["data"]

    def volume(self, kind: str, ctx: dict) -> dict:
        steps = {"create_volume": volumes.CREATE, "delete_volume": volumes.DELETE,
                 "attach_volume": volumes.ATTACH, "detach_volume": volumes.DETACH,
                 "extend_volume": volumes.extend_steps(ctx)}[kind]
        return {"dry_run": True, "operation": kind, "volume": ctx["volume_id"], "steps": self._plan(steps, ctx)}

    def _plan(self, steps: list[Step], ctx: dict) -> list[dict]:
        """Control steps are planned here; each node's, all in one job on its queue."""
        node_plans = self._node_plans([s for s in steps if s.node(ctx) != "control"], ctx) \
            if ctx.get("hypervisor") else {}
        out = []
        for step in steps:
            if step.node(ctx) == "control":
                plan = FUNCTIONS[step.function].plan(self.control, step.request(ctx)).to_dict()
                out.append({"name": step.name, "node": "control", **plan})
            elif step.name in node_plans:
                out.append({"name": step.name, "node": step.node(ctx), **node_plans[step.name]})
            else:
                out.append({"name": step.name, "node": None, "action": "skipped", "detail": "no hypervisor"})
        return out

    def _node_plans(self, steps: list[Step], ctx: dict) -> dict[str, dict]:
        plans: dict[str, dict] = {}
        for queue in dict.fromkeys(s.node(ctx) for s in steps):
            batch = [s for s in steps if s.node(ctx) == queue]
            request = {"steps": [{"function": s.function, "request": s.request(ctx)} for s in batch]}
            result = self.dispatcher.run(queue, f"plan_{uuid.uuid4()}", "plans", request, reuse=False, mode="plans")
            plans.update(zip([s.name for s in batch], result["plans"], strict=True))
        return plans
