"""Linux bridges and their uplinks (VXLAN, VLAN) through pyroute2. Interfaces hostflow
creates carry an alias mark, and only marked interfaces are ever removed."""
from __future__ import annotations

import errno
import socket
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from infra.errors import HostflowError

MARK = "hostflow:"
IFF_UP = 1
ZERO_MAC = "00:00:00:00:00:00"
VXLAN_PORT = 4789


class NetworkError(HostflowError):
    code = "network_error"


@dataclass(frozen=True)
class Uplink:
    kind: str  # "vxlan" or "vlan"
    name: str
    segment_id: int  # VNI or VLAN id
    underlay: str
    peers: tuple[str, ...] = ()  # VXLAN: the other nodes' underlay addresses (static flood list)


@dataclass(frozen=True)
class Segment:
    """One network as a node sees it: a bridge, its MTU, and optionally an uplink."""

    bridge: str
    mtu: int = 1500
    uplink: Uplink | None = None

    @property
    def interfaces(self) -> tuple[str, ...]:
        return (self.bridge, self.uplink.name) if self.uplink else (self.bridge,)


class Netlink:
    def __init__(self, stack: str, netns: str | None = None):
        self.alias = MARK + stack
        self.net_mark = MARK + stack + ":net"
        self.netns = netns
        self._shared: IPRoute | None = None

    @contextmanager
    def session(self):
        """One netlink socket for every call inside (opening one in a namespace costs ~8 ms)."""
        if self._shared is not None:
            yield self
            return
        with self._open() as ipr:
            self._shared = ipr
            try:
                yield self
            finally:
                self._shared = None

    def _open(self) -> IPRoute:
        return IPRoute(netns=self.netns) if self.netns else IPRoute()

    def _ipr(self):
        return nullcontext(self._shared) if self._shared is not None else self._open()

    def bridge_state(self, name: str) -> dict | None:
        return self.link_state(name)

    def link_state(self, name: str) -> dict | None:
        return self.link_states([name])[name]

    def link_states(self, names: list[str]) -> dict[str, dict | None]:
        """Each link's state (None: absent), over one netlink socket."""
        with self._ipr() as ipr:
            return {name: _state(ipr, name) for name in names}

    def counters(self, name: str) -> dict:
        with self._ipr() as ipr:
            link = _get(ipr, name)
            if link is None:
                raise NetworkError(f"{name} does not exist")
            stats = link.get_attr("IFLA_STATS64")
            return {k: stats[k] for k in ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes")}

    def ensure_bridge(self, name: str) -> bool:
        """Creates the bridge if absent and brings it up; True if anything changed."""
        state = self.bridge_state(name)
        changed = False
        try:
            with self._ipr() as ipr:
                if state is None:
                    ipr.link("add", ifname=name, kind="bridge")
                    changed = True
                idx = ipr.link_lookup(ifname=name)[0]
                if state is None or state["alias"] != self.alias and state["alias"] is None:
                    ipr.link("set", index=idx, ifalias=self.alias)
                if state is None or not state["up"]:
                    ipr.link("set", index=idx, state="up")
                    changed = True
        except NetlinkError as exc:
            raise NetworkError(f"bridge {name}: {exc}") from exc
        return changed

    def ensure_segments(self, segments: list[Segment]) -> list[str]:
        """Makes each segment's bridge and uplink match; returns what changed (empty: nothing)."""
        changes: list[str] = []
        try:
            with self._ipr() as ipr:
                for segment in segments:
                    _Converge(ipr, self.net_mark, changes).segment(segment)
        except NetlinkError as exc:
            raise _translate(exc, changes) from exc
        return changes

    def marked(self) -> list[str]:
        """Interfaces the network function created (this stack's network mark)."""
        with self._ipr() as ipr:
            return sorted(link.get_attr("IFLA_IFNAME") for link in ipr.get_links()
                          if link.get_attr("IFLA_IFALIAS") == self.net_mark)

    def prune(self, keep: set[str]) -> list[str]:
        """Removes marked interfaces not in `keep`."""
        return [name for name in self.marked() if name not in keep and self.remove_marked(name)]

    def remove_marked(self, name: str) -> bool:
        state = self.link_state(name)
        if state is None or state["alias"] not in (self.alias, self.net_mark):
            return False
        try:
            with self._ipr() as ipr:
                ipr.link("del", index=ipr.link_lookup(ifname=name)[0])
        except NetlinkError as exc:
            raise NetworkError(f"remove {name}: {exc}") from exc
        return True


class _Converge:
    """One pass over a segment on an open netlink socket, noting each change."""

    def __init__(self, ipr: IPRoute, mark: str, changes: list[str]):
        self.ipr, self.mark, self.changes = ipr, mark, changes

    def segment(self, seg: Segment) -> None:
        bridge = self._bridge(seg)
        if seg.uplink:
            self._uplink(seg, bridge)

    def _bridge(self, seg: Segment):
        link = _get(self.ipr, seg.bridge)
        if link is None:
            link = self._create(seg.bridge, kind="bridge")
        elif _kind(link) != "bridge":
            raise NetworkError(f"{seg.bridge} exists and is a {_kind(link)}, not a bridge", code="network_conflict")
        self._settle(link, seg.bridge, seg.mtu, master=None)
        return link

    def _uplink(self, seg: Segment, bridge) -> None:
        up = seg.uplink
        underlay = _get(self.ipr, up.underlay)
        if underlay is None:
            raise NetworkError(f"underlay interface {up.underlay} does not exist", code="no_underlay")
        local = _ipv4(self.ipr, underlay["index"]) if up.kind == "vxlan" else None
        link = _get(self.ipr, up.name)
        if link is not None and not _uplink_matches(link, up, underlay["index"], local):
            if link.get_attr("IFLA_IFALIAS") != self.mark:
                raise NetworkError(f"{up.name} exists, differs and is not hostflow's", code="network_conflict")
            self.ipr.link("del", index=link["index"])
            self.changes.append(f"{up.name}: removed (differed)")
            link = None
        if link is None:
            link = self._create(up.name, **_uplink_args(up, underlay["index"], local))
        self._settle(link, up.name, seg.mtu, master=bridge["index"])
        if up.kind == "vxlan":
            self._flood_list(link["index"], up, local)

    def _create(self, name: str, **kind_args):
        self.ipr.link("add", ifname=name, **kind_args)
        link = _get(self.ipr, name)
        self.ipr.link("set", index=link["index"], ifalias=self.mark)
        self.changes.append(f"{name}: created ({kind_args['kind']})")
        return _get(self.ipr, name)

    def _settle(self, link, name: str, mtu: int, master: int | None) -> None:
        """MTU, bridge port and link up, in that order (a port takes the bridge's MTU)."""
        idx = link["index"]
        if link.get_attr("IFLA_MTU") != mtu:
            self.ipr.link("set", index=idx, mtu=mtu)
            self.changes.append(f"{name}: mtu {link.get_attr('IFLA_MTU')} -> {mtu}")
        if master is not None and link.get_attr("IFLA_MASTER") != master:
            self.ipr.link("set", index=idx, master=master)
            self.changes.append(f"{name}: enslaved")
        if not link["flags"] & IFF_UP:
            self.ipr.link("set", index=idx, state="up")
            self.changes.append(f"{name}: up")

    def _flood_list(self, idx: int, up: Uplink, local: str) -> None:
        """Static peers: an all-zeros FDB entry per remote node, so broadcast and unknown
        unicast reach every peer (no multicast needed on the underlay)."""
        have = {e.get_attr("NDA_DST") for e in self.ipr.fdb("dump", ifindex=idx)
                if e.get_attr("NDA_LLADDR") == ZERO_MAC and e["ifindex"] == idx}
        want = {p for p in up.peers if p != local}
        for peer in sorted(want - have):
            self.ipr.fdb("append", ifindex=idx, lladdr=ZERO_MAC, dst=peer)
            self.changes.append(f"{up.name}: peer {peer} added")
        for peer in sorted(have - want - {None}):
            self.ipr.fdb("del", ifindex=idx, lladdr=ZERO_MAC, dst=peer)
            self.changes.append(f"{up.name}: peer {peer} removed")


def _uplink_args(up: Uplink, underlay_idx: int, local: str | None) -> dict:
    if up.kind == "vxlan":
        return {"kind": "vxlan", "vxlan_id": up.segment_id, "vxlan_link": underlay_idx, "vxlan_local": local,
                "vxlan_port": VXLAN_PORT, "vxlan_learning": 1}
    if up.kind == "vlan":
        return {"kind": "vlan", "link": underlay_idx, "vlan_id": up.segment_id}
    raise NetworkError(f"unknown segmentation {up.kind!r}", code="invalid_network")


def _uplink_matches(link, up: Uplink, underlay_idx: int, local: str | None) -> bool:
    if _kind(link) != up.kind:
        return False
    data = link.get_attr("IFLA_LINKINFO").get_attr("IFLA_INFO_DATA")
    if up.kind == "vxlan":
        return (data.get_attr("IFLA_VXLAN_ID"), data.get_attr("IFLA_VXLAN_LINK"),
                data.get_attr("IFLA_VXLAN_LOCAL")) == (up.segment_id, underlay_idx, local)
    return (data.get_attr("IFLA_VLAN_ID"), link.get_attr("IFLA_LINK")) == (up.segment_id, underlay_idx)


def _get(ipr: IPRoute, name: str):
    try:
        return ipr.link("get", ifname=name)[0]
    except NetlinkError as exc:
        if exc.code == errno.ENODEV:
            return None
        raise


def _state(ipr: IPRoute, name: str) -> dict | None:
    link = _get(ipr, name)
    if link is None:
        return None
    master = link.get_attr("IFLA_MASTER")
    return {"name": name, "up": bool(link["flags"] & IFF_UP), "alias": link.get_attr("IFLA_IFALIAS"),
            "kind": _kind(link), "mtu": link.get_attr("IFLA_MTU"), "master": _name(ipr, master) if master else None}


def _name(ipr: IPRoute, index: int) -> str | None:
    found = ipr.get_links(index)
    return found[0].get_attr("IFLA_IFNAME") if found else None


def _ipv4(ipr: IPRoute, index: int) -> str:
    for addr in ipr.get_addr(index=index, family=socket.AF_INET):
        return addr.get_attr("IFA_ADDRESS")
    raise NetworkError(f"the underlay (ifindex {index}) has no IPv4 address for VXLAN", code="no_underlay")


def _kind(link) -> str | None:
    info = link.get_attr("IFLA_LINKINFO")
    return info.get_attr("IFLA_INFO_KIND") if info else None


def _translate(exc: NetlinkError, changes: list[str]) -> NetworkError:
    done = f" (after: {'; '.join(changes)})" if changes else ""
    if exc.code == errno.EOPNOTSUPP:
        return NetworkError(f"the kernel does not support this link type: {exc}{done}", code="link_unsupported")
    return NetworkError(f"netlink: {exc}{done}")
