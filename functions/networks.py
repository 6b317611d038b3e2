"""A hypervisor's networks: per network record a bridge, its uplink (VXLAN or VLAN on
the underlay), MTU, links up. The records come in the request; nodes read no database."""
from __future__ import annotations

from functions.node import Node
from functions.outcome import Outcome, Plan
from infra.errors import Invalid
from infra.netlink import NetworkError, Segment, Uplink

UPLINK_KINDS = ("vxlan", "vlan")


def segment_for(network: dict) -> Segment:
    """network: a record as infra.db.networks views it (bridge, segmentation, segment_id,
    underlay, peers, mtu, uplink)."""
    kind = network.get("segmentation") or "none"
    if kind == "none":
        return Segment(network["bridge"], network.get("mtu") or 1500)
    if kind not in UPLINK_KINDS or not network.get("underlay") or not network.get("uplink"):
        raise Invalid(f"network {network.get('name')}: {kind} needs an underlay and an uplink name",
                      code="invalid_network")
    uplink = Uplink(kind, network["uplink"], network["segment_id"], network["underlay"],
                    tuple(network.get("peers") or ()))
    return Segment(network["bridge"], network["mtu"], uplink)


def ensure_networks(node: Node, req: dict) -> Outcome:
    """req: {"networks": [record], "prune"?: bool}. With prune (the full list, at worker
    start), marked interfaces of networks no longer listed are removed."""
    segments = [segment_for(n) for n in req["networks"]]
    with node.netlink.session():
        changes = node.netlink.ensure_segments(segments)
        if req.get("prune"):
            keep = {name for s in segments for name in s.interfaces}
            changes += [f"{name}: removed" for name in node.netlink.prune(keep)]
        _verify(node, segments)
    bridges = sorted(s.bridge for s in segments)
    if not changes:
        return Outcome.unchanged(bridges)
    return Outcome(True, before=None, after=bridges, note="; ".join(changes))


def _verify(node: Node, segments: list[Segment]) -> None:
    states = node.netlink.link_states([name for s in segments for name in s.interfaces])
    for seg in segments:
        bridge = states[seg.bridge]
        if not bridge or not bridge["up"] or bridge["kind"] != "bridge":
            raise NetworkError(f"bridge {seg.bridge} is not up after ensure", code="verify_failed")
        if seg.uplink:
            uplink = states[seg.uplink.name]
            if not uplink or not uplink["up"] or uplink["master"] != seg.bridge:
                raise NetworkError(f"{seg.uplink.name} is not an up port of {seg.bridge}", code="verify_failed")


def decide_networks(states: dict[str, dict | None], segments: list[Segment]) -> Plan:
    """states: each interface's link state (None: absent)."""
    missing = [name for s in segments for name in s.interfaces if states.get(name) is None]
    if missing:
        return Plan("create", ", ".join(missing))
    down = [name for name, st in states.items() if not st["up"]]
    wrong_mtu = [s.bridge for s in segments if states[s.bridge]["mtu"] != s.mtu]
    loose = [s.uplink.name for s in segments if s.uplink and states[s.uplink.name]["master"] != s.bridge]
    if down or wrong_mtu or loose:
        return Plan("update", ", ".join(sorted(set(down + wrong_mtu + loose))))
    return Plan("none")


def plan_networks(node: Node, req: dict) -> Plan:
    segments = [segment_for(n) for n in req["networks"]]
    return decide_networks(node.netlink.link_states([name for s in segments for name in s.interfaces]), segments)
