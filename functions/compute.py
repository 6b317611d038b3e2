"""Domains: defined, running, stopped, undefined; and the guest reporting up."""
from __future__ import annotations

import time

from functions import guest_agent, share_config
from functions.node import Node
from functions.outcome import Outcome, Plan
from infra import domain_xml
from infra.domain_xml import DomainSpec, Filesystem, Nic, domain_name
from infra.errors import ComputeError, GuestNotReady


def spec_for(node: Node, req: dict) -> DomainSpec:
    """req: {"host_id", "operation_id", "project", "vcpus", "ram_mb", "nics": [{"mac", "bridge", "ip"?}],
    "boot": {"kernel": image?, "ramdisk": image?, "cmdline"?} or {"cdrom": image}}"""
    host_id = req["host_id"]
    boot = req.get("boot") or {}
    kernel, ramdisk, cdrom = boot.get("kernel"), boot.get("ramdisk"), boot.get("cdrom")
    return DomainSpec(
        name=domain_name(host_id), host_id=host_id, operation_id=req["operation_id"], project=req["project"],
        stack=node.stack, vcpus=req["vcpus"], ram_mb=req["ram_mb"], virt_type=node.virt_type,
        root_disk=str(node.root_disk(host_id)), config_drive=str(node.config_drive(host_id)),
        console_log=str(node.console_log(host_id)),
        nics=tuple(Nic(n["mac"], n["bridge"], n.get("ip")) for n in req["nics"]),
        kernel=str(node.cached_image(kernel)) if kernel else None,
        ramdisk=str(node.cached_image(ramdisk)) if ramdisk else None,
        cmdline=boot.get("cmdline"), cdrom=str(node.cached_image(cdrom)) if cdrom else None,
        max_vcpus=max(req["vcpus"], node.max_live_vcpus),
        filesystems=tuple(Filesystem(f["source"], f["tag"], f["read_only"], f["driver"])
                          for f in share_config.filesystems(req.get("shares", []), node.share_driver)),
    )


def decide_defined(marks: dict | None, host_id: str) -> Plan:
    if marks is None:
        return Plan("define", "new domain")
    if marks.get("host") != host_id:
        return Plan("conflict", f"a domain of that name belongs to host {marks.get('host')!r}")
    return Plan("none")


def _marks(node: Node, name: str) -> dict | None:
    return None if node.compute.state(name) == "absent" else node.compute.marks(name)


def ensure_domain_defined(node: Node, req: dict) -> Outcome:
    spec = spec_for(node, req)
    for bridge in sorted({n.bridge for n in spec.nics}):
        node.netlink.ensure_bridge(bridge)
    plan = decide_defined(_marks(node, spec.name), spec.host_id)
    if plan.action == "conflict":
        raise ComputeError(plan.detail, code="domain_conflict")
    if plan.noop:
        return _autostarted(node, spec.name)
    node.compute.define(domain_xml.build(spec))
    node.compute.set_autostart(spec.name)
    if node.compute.marks(spec.name).get("host") != spec.host_id or not node.compute.autostart(spec.name):
        raise ComputeError(f"domain {spec.name} did not define as requested", code="verify_failed")
    return Outcome(True, before="absent", after="defined", data={"domain": spec.name})


def _autostarted(node: Node, name: str) -> Outcome:
    """Every domain starts with its node: one defined before that held is marked now."""
    if node.compute.autostart(name):
        return Outcome.unchanged("defined", domain=name)
    node.compute.set_autostart(name)
    return Outcome(True, before="defined", after="defined", note="autostart set", data={"domain": name})


def decide_running(state: str) -> Plan:
    if state == "absent":
        return Plan("conflict", "domain is not defined")
    if state == "running":
        return Plan("none")
    if state == "paused":
        return Plan("conflict", "domain is paused")
    return Plan("start")


def ensure_running(node: Node, req: dict) -> Outcome:
    name = domain_name(req["host_id"])
    before = node.compute.state(name)
    plan = decide_running(before)
    if plan.action == "conflict":
        raise ComputeError(f"cannot start {name}: {plan.detail}", code="domain_not_startable")
    if plan.noop:
        return Outcome.unchanged(before)
    node.compute.start(name)
    after = node.compute.wait_state(name, {"running"}, 10)
    if after != "running":
        raise ComputeError(f"{name} is {after} after start", code="verify_failed")
    return Outcome(True, before=before, after=after)


def decide_stopped(state: str) -> Plan:
    return Plan("none") if state in {"absent", "shutoff"} else Plan("shutdown", "ACPI, then destroy")


def ensure_stopped(node: Node, req: dict) -> Outcome:
    """Graceful ACPI shutdown with a timeout, then destroy; a guest that cannot hear a
    shutdown (paused, crashed, or the request failed) is destroyed at once."""
    name = domain_name(req["host_id"])
    before = node.compute.state(name)
    if decide_stopped(before).noop:
        return Outcome.unchanged(before)
    how, after = "shutdown", before
    if before not in {"paused", "crashed"} and _shutdown_asked(node, name):
        after = node.compute.wait_state(name, {"shutoff", "absent"}, req.get("timeout", node.shutdown_timeout))
    if after not in {"shutoff", "absent"}:
        how = "destroy"
        node.compute.destroy(name)
        after = node.compute.wait_state(name, {"shutoff", "absent"}, 10)
    if after not in {"shutoff", "absent"}:
        raise ComputeError(f"{name} is still {after}", code="verify_failed")
    return Outcome(True, before=before, after=after, note=how)


def _shutdown_asked(node: Node, name: str) -> bool:
    try:
        node.compute.shutdown(name)
    except ComputeError:
        return False
    return True


def ensure_undefined(node: Node, req: dict) -> Outcome:
    name = domain_name(req["host_id"])
    marks = _marks(node, name)
    if marks is None:
        return Outcome.unchanged("absent")
    if marks.get("host") != req["host_id"]:
        raise ComputeError(f"{name} is not this host's domain", code="domain_conflict")
    node.compute.destroy(name)
    node.compute.undefine(name)
    if node.compute.state(name) != "absent":
        raise ComputeError(f"{name} is still defined", code="verify_failed")
    return Outcome(True, before="defined", after="absent")


def guest_matches(state: dict | None, hostname: str, addresses: list[str]) -> bool:
    if not state or state.get("hostname") != hostname:
        return False
    have = {a.get("cidr") for a in state.get("addresses", [])}
    return set(addresses) <= have


def wait_guest_up(node: Node, req: dict) -> Outcome:
    """req: {"host_id", "hostname", "addresses": ["10.0.0.5/24"], "readiness"?, "timeout"?}.
    `readiness` is the image's strategy (functions.readiness); serial where a request
    names none (operations journalled before strategies existed)."""
    how = req.get("readiness", "serial")
    if how == "agent":
        return _wait_agent(node, req)
    if how == "phone_home":
        return _wait_phone_home(node, req)
    if how == "none":
        return _running_only(node, req)
    return _wait_serial(node, req)


def _wait_serial(node: Node, req: dict) -> Outcome:
    log = node.console_log(req["host_id"])
    deadline = time.monotonic() + req.get("timeout", node.boot_timeout)
    first = node.consoles.latest(log)
    if guest_matches(first, req["hostname"], req["addresses"]):
        return Outcome.unchanged("up", guest=first)
    alive = _LivenessCheck(node, req["host_id"])
    while time.monotonic() < deadline:
        state = node.consoles.latest(log)
        if guest_matches(state, req["hostname"], req["addresses"]):
            return Outcome(False, before="booting", after="up", note="guest reported its state",
                           data={"guest": state})
        alive()
        time.sleep(0.05)
    raise _not_ready(node, log, f"guest did not report hostname {req['hostname']} and {req['addresses']} in time")


def _wait_agent(node: Node, req: dict) -> Outcome:
    name, log = domain_name(req["host_id"]), node.console_log(req["host_id"])
    deadline = time.monotonic() + req.get("timeout", node.boot_timeout)
    alive = _LivenessCheck(node, req["host_id"])
    seen = None
    while time.monotonic() < deadline:
        if node.compute.agent(name, "guest-ping") is not None:
            host = node.compute.agent(name, "guest-get-host-name") or {}
            nics = node.compute.agent(name, "guest-network-get-interfaces")
            seen = {"hostname": host.get("host-name"), "interfaces": nics}
            if guest_agent.reports(host.get("host-name"), nics, req["hostname"], req["addresses"]):
                return Outcome(False, before="booting", after="up", note="the guest agent reported its state",
                               data={"guest": guest_agent.as_state(host["host-name"], nics)})
        alive()
        time.sleep(0.5)
    said = f"the guest agent reported {seen}" if seen else "the guest agent never answered"
    raise _not_ready(node, log, f"guest did not report hostname {req['hostname']} and {req['addresses']} in time "
                                f"({said})")


def _wait_phone_home(node: Node, req: dict) -> Outcome:
    """Up once the guest has posted to the phone-home endpoint since its domain started,
    from one of its leased addresses, naming its host."""
    name, log = domain_name(req["host_id"]), node.console_log(req["host_id"])
    deadline = time.monotonic() + req.get("timeout", node.boot_timeout)
    alive, began, seen = _LivenessCheck(node, req["host_id"]), time.time(), None
    while time.monotonic() < deadline:
        record = node.phone_homes.read(req["host_id"]) if node.phone_homes is not None else None
        if record and record["received"] >= (node.compute.started_at(name) or began):
            seen = record
            cidrs = [c for c in req["addresses"] if c.split("/")[0] == record["address"]]
            if cidrs and (record.get("hostname") or "").split(".")[0] == req["hostname"]:
                guest = {"hostname": req["hostname"], "readiness": "phone_home",
                         "addresses": [{"cidr": c} for c in cidrs]}
                return Outcome(False, before="booting", after="up", note="the guest phoned home",
                               data={"guest": guest})
        alive()
        time.sleep(0.5)
    said = f"its last post this boot: {seen}" if seen else "no post this boot"
    raise _not_ready(node, log, f"guest did not phone home as {req['hostname']} from {req['addresses']} in time "
                                f"({said})")


def _not_ready(node: Node, log, message: str) -> GuestNotReady:
    tail = node.consoles.tail(log, 20)
    last = [line for line in tail.splitlines() if line.strip()][-3:]
    return GuestNotReady(f"{message}; console: {' | '.join(last)!r}", details={"console_tail": tail})


def _running_only(node: Node, req: dict) -> Outcome:
    _LivenessCheck(node, req["host_id"])()
    return Outcome(False, before="booting", after="running", note="the image declares no readiness: its domain runs",
                   data={"guest": {"readiness": "none"}})


class _LivenessCheck:
    """Called while waiting: raises guest_died once the domain has stopped (at most once a second)."""

    def __init__(self, node: Node, host_id: str):
        self.node, self.name, self.next = node, domain_name(host_id), 0.0

    def __call__(self) -> None:
        if time.monotonic() < self.next:
            return
        if self.node.compute.state(self.name) != "running":
            raise ComputeError("the domain stopped while booting", code="guest_died")
        self.next = time.monotonic() + 1.0


def plan_defined(node: Node, req: dict) -> Plan:
    return decide_defined(_marks(node, domain_name(req["host_id"])), req["host_id"])


def plan_running(node: Node, req: dict) -> Plan:
    state = node.compute.state(domain_name(req["host_id"]))
    return Plan("start", "after define") if state == "absent" else decide_running(state)


def plan_stopped(node: Node, req: dict) -> Plan:
    return decide_stopped(node.compute.state(domain_name(req["host_id"])))


def plan_undefined(node: Node, req: dict) -> Plan:
    absent = node.compute.state(domain_name(req["host_id"])) == "absent"
    return Plan("none") if absent else Plan("undefine")
