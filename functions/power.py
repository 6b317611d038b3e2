"""Power actions on a host's domain: on, off, suspend (a managed save), resume, pause,
unpause. Each reads the domain's power state, acts only when the domain is not already
where it is asked to be, and verifies the end state through libvirt.

A reboot is an off then an on (as Nova's libvirt driver does it): the domain's QEMU
process is new afterwards, which a readiness wait can tell from the old one."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from functions.node import Node
from functions.outcome import Outcome, Plan
from infra.domain_xml import domain_name
from infra.errors import ComputeError

SETTLE_S = 10.0  # how long an end state may take to show once libvirt has acted


@dataclass(frozen=True)
class Transition:
    end: str
    acts_from: frozenset[str]
    verb: str

    def decide(self, state: str) -> Plan:
        if state == self.end:
            return Plan("none")
        if state in self.acts_from:
            return Plan(self.verb, f"{state} -> {self.end}")
        return Plan("conflict", f"the domain is {state}")


ON = Transition("running", frozenset({"shutoff", "crashed"}), "start")
OFF = Transition("shutoff", frozenset({"running", "paused", "crashed", "shutting_down"}), "stop")
SUSPEND = Transition("suspended", frozenset({"running", "paused"}), "managed save")
RESUME = Transition("running", frozenset({"suspended"}), "restore")
PAUSE = Transition("paused", frozenset({"running"}), "pause")
UNPAUSE = Transition("running", frozenset({"paused"}), "unpause")


def _apply(node: Node, req: dict, step: Transition, act: Callable[[Node, str, str, dict], str]) -> Outcome:
    name = domain_name(req["host_id"])
    before = node.compute.power_state(name)
    plan = step.decide(before)
    if plan.action == "conflict":
        raise ComputeError(f"cannot {step.verb} {name}: {plan.detail}", code="wrong_power_state",
                           details={"power_state": before})
    if plan.noop:
        return Outcome.unchanged(before)
    how = act(node, name, before, req)
    after = _settled(node, name, step.end, SETTLE_S)
    if after != step.end:
        raise ComputeError(f"{name} is {after} after {how}, not {step.end}", code="verify_failed",
                           details={"power_state": after})
    return Outcome(True, before=before, after=after, note=how)


def _settled(node: Node, name: str, wanted: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while (state := node.compute.power_state(name)) != wanted and time.monotonic() < deadline:
        time.sleep(0.1)
    return state


def _start(node: Node, name: str, before: str, _req: dict) -> str:
    if before == "crashed":
        node.compute.destroy(name)
    node.compute.start(name)
    return "start"


def _stop(node: Node, name: str, before: str, req: dict) -> str:
    """Graceful (ACPI, or the guest agent where one answers: libvirt prefers it) within
    the timeout, then forced; at once when forced, or when nothing in the guest can
    hear a shutdown (paused, crashed)."""
    if req.get("force") or before in {"paused", "crashed"}:
        node.compute.destroy(name)
        return "forced off"
    try:
        node.compute.shutdown(name)
    except ComputeError:
        node.compute.destroy(name)
        return "forced off (the shutdown request failed)"
    if _settled(node, name, "shutoff", req.get("timeout", node.shutdown_timeout)) == "shutoff":
        return "shut down"
    node.compute.destroy(name)
    return "forced off after the shutdown timeout"


def _managed_save(node: Node, name: str, _before: str, _req: dict) -> str:
    node.compute.managed_save(name)
    return "memory saved to the node's disk"


def _pause(node: Node, name: str, _before: str, _req: dict) -> str:
    node.compute.pause(name)
    return "paused"


def _unpause(node: Node, name: str, _before: str, _req: dict) -> str:
    node.compute.unpause(name)
    return "unpaused"


def power_on(node: Node, req: dict) -> Outcome:
    """req: {"host_id"}"""
    return _apply(node, req, ON, _start)


def power_off(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "force"?, "timeout"? (seconds a graceful shutdown may take)}"""
    return _apply(node, req, OFF, _stop)


def suspend(node: Node, req: dict) -> Outcome:
    return _apply(node, req, SUSPEND, _managed_save)


def resume(node: Node, req: dict) -> Outcome:
    return _apply(node, req, RESUME, _start)


def pause(node: Node, req: dict) -> Outcome:
    return _apply(node, req, PAUSE, _pause)


def unpause(node: Node, req: dict) -> Outcome:
    return _apply(node, req, UNPAUSE, _unpause)


def planner(step: Transition) -> Callable[[Node, dict], Plan]:
    def plan(node: Node, req: dict) -> Plan:
        return step.decide(node.compute.power_state(domain_name(req["host_id"])))

    return plan
