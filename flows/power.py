"""Power actions, one flow each: start, stop, reboot, suspend, resume, pause, unpause.

Steps have no undo: a power action that fails part-way leaves the domain where libvirt
says it is, and the host's power state records that. After a start or a reboot the guest
is waited for by the image's readiness; after a resume only by the agent (a restored
guest does not boot again, so its serial line or phone-home does not come again)."""
from __future__ import annotations

from prefect import flow

from flows.engine import Step, on_hypervisor, run_recorded


def _host(ctx: dict) -> dict:
    return {"host_id": ctx["host_id"]}


def _off(ctx: dict) -> dict:
    return {"host_id": ctx["host_id"], "force": ctx.get("force", False), "timeout": ctx["stop_timeout"]}


def _wait(how: str | None = None):
    def request(ctx: dict) -> dict:
        readiness = how or ctx.get("readiness", "serial")
        timeout = {"timeout": ctx["boot_timeout"]} if ctx.get("boot_timeout") else {}
        return {"host_id": ctx["host_id"], "hostname": ctx["name"], "addresses": ctx["addresses"],
                "readiness": readiness, **timeout}

    return request


def _resumed(ctx: dict) -> dict:
    return _wait("agent" if ctx.get("readiness") == "agent" else "none")(ctx)


def _absorb_power(ctx: dict, outcome: dict) -> None:
    ctx["power_state"] = outcome["after"]


def _absorb_guest(ctx: dict, outcome: dict) -> None:
    ctx["guest"] = outcome["data"].get("guest")


def _step(name: str, function: str, request=_host) -> Step:
    return Step(name, function, on_hypervisor, request, None, _absorb_power)


POWER_ON = _step("power_on", "power_on")
POWER_OFF = _step("power_off", "power_off", _off)
WAIT_UP = Step("wait_guest_up", "wait_guest_up", on_hypervisor, _wait(), None, _absorb_guest)

STEPS: dict[str, list[Step]] = {
    "start": [POWER_ON, WAIT_UP],
    "stop": [POWER_OFF],
    "reboot": [POWER_OFF, POWER_ON, WAIT_UP],
    "suspend": [_step("suspend", "suspend_domain")],
    "resume": [_step("resume", "resume_domain"),
               Step("wait_guest_up", "wait_guest_up", on_hypervisor, _resumed, None, _absorb_guest)],
    "pause": [_step("pause", "pause_domain")],
    "unpause": [_step("unpause", "unpause_domain")],
}


def _power_flow(action: str):
    @flow(name=f"{action}-host", flow_run_name=f"{action} {{ctx[name]}}", persist_result=False)
    def power_flow(operation_id: str, ctx: dict) -> dict:
        return run_recorded(operation_id, STEPS[action], ctx)

    power_flow.__doc__ = f"{action} a host: {', '.join(s.name for s in STEPS[action])}"
    return power_flow


FLOWS = {action: _power_flow(action) for action in STEPS}
