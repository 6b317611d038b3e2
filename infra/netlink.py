"""Linux bridges through pyroute2. Interfaces hostflow creates carry an alias
mark, and only marked interfaces are ever removed."""
from __future__ import annotations

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from infra.errors import HostflowError

MARK = "hostflow:"


class NetworkError(HostflowError):
    code = "network_error"


class Netlink:
    def __init__(self, stack: str):
        self.alias = MARK + stack

    def bridge_state(self, name: str) -> dict | None:
        with IPRoute() as ipr:
            found = ipr.link_lookup(ifname=name)
            if not found:
                return None
            link = ipr.get_links(found[0])[0]
            return {
                "name": name,
                "up": bool(link["flags"] & 1),
                "alias": link.get_attr("IFLA_IFALIAS"),
                "kind": _kind(link),
            }

    def ensure_bridge(self, name: str) -> bool:
        """Creates the bridge if absent and brings it up; True if anything changed."""
        state = self.bridge_state(name)
        changed = False
        try:
            with IPRoute() as ipr:
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

    def remove_marked(self, name: str) -> bool:
        state = self.bridge_state(name)
        if state is None or state["alias"] != self.alias:
            return False
        try:
            with IPRoute() as ipr:
                ipr.link("del", index=ipr.link_lookup(ifname=name)[0])
        except NetlinkError as exc:
            raise NetworkError(f"remove {name}: {exc}") from exc
        return True


def _kind(link) -> str | None:
    info = link.get_attr("IFLA_LINKINFO")
    return info.get_attr("IFLA_INFO_KIND") if info else None
