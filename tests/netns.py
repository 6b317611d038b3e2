"""Network namespaces and veth pairs for network tests, through pyroute2. Names start
with `hf-t` so a run interrupted earlier can be cleaned up by name."""
from __future__ import annotations

import errno

from pyroute2 import IPRoute, netns
from pyroute2.netlink.exceptions import NetlinkError

PREFIX = "hf-t"


def remove_netns(name: str) -> None:
    if name in netns.listnetns():
        netns.remove(name)


def fresh_netns(name: str) -> str:
    assert name.startswith(PREFIX), name
    remove_netns(name)
    netns.create(name)
    with IPRoute(netns=name) as ipr:
        ipr.link("set", index=ipr.link_lookup(ifname="lo")[0], state="up")
    return name


def veth(name: str, ns: str, peer: str, peer_ns: str) -> None:
    """A veth pair from namespace `ns` to `peer_ns` (both must exist)."""
    with IPRoute(netns=ns) as ipr:
        ipr.link("add", ifname=name, kind="veth", peer={"ifname": peer, "net_ns_fd": peer_ns})


def address(ns: str, ifname: str, cidr: str, mtu: int | None = None) -> None:
    addr, prefix = cidr.split("/")
    with IPRoute(netns=ns) as ipr:
        idx = ipr.link_lookup(ifname=ifname)[0]
        ipr.addr("add", index=idx, address=addr, prefixlen=int(prefix))
        if mtu:
            ipr.link("set", index=idx, mtu=mtu)
        ipr.link("set", index=idx, state="up")


def link_up(ns: str, ifname: str, master: str | None = None) -> None:
    with IPRoute(netns=ns) as ipr:
        idx = ipr.link_lookup(ifname=ifname)[0]
        if master:
            ipr.link("set", index=idx, master=ipr.link_lookup(ifname=master)[0])
        ipr.link("set", index=idx, state="up")


def kernel_has_vlan() -> tuple[bool, str]:
    """Tries a VLAN link on a veth in a throwaway namespace."""
    ns = fresh_netns("hf-t-vlanprobe")
    try:
        with IPRoute(netns=ns) as ipr:
            ipr.link("add", ifname="probe0", kind="veth", peer="probe1")
            try:
                ipr.link("add", ifname="probe0.7", kind="vlan", link=ipr.link_lookup(ifname="probe0")[0], vlan_id=7)
            except NetlinkError as exc:
                if exc.code == errno.EOPNOTSUPP:
                    return False, "this kernel has no 802.1Q VLAN devices (creating a vlan link: EOPNOTSUPP)"
                raise
        return True, ""
    finally:
        remove_netns(ns)
