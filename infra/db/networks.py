"""Network records. The default `vm` network is described by settings (VM_BRIDGE,
VM_SUBNET, VM_GATEWAY) and seeded as a record when the API starts."""
from __future__ import annotations

import hashlib
import ipaddress

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from infra.db.engine import Database
from infra.db.models import IpAllocation, Network, iso
from infra.errors import Conflict, NotFound

DEFAULT = "vm"
UPLINK_PREFIX = {"vxlan": "hfvx-", "vlan": "hfvl-"}


def _stem(name: str) -> str:
    """Fits interface names (15 characters) with a 5-character prefix."""
    return name if len(name) <= 10 else hashlib.sha1(name.encode()).hexdigest()[:10]


def bridge_name(name: str) -> str:
    return "hfbr-" + _stem(name)


def uplink_name(network: dict) -> str | None:
    prefix = UPLINK_PREFIX.get(network["segmentation"])
    return prefix + _stem(network["name"]) if prefix else None


def default_network(settings) -> dict:
    return {"name": DEFAULT, "traffic_class": "vm", "env": None, "bridge": settings.vm_bridge,
            "segmentation": "none", "segment_id": None, "underlay": None, "peers": [],
            "subnet": str(ipaddress.ip_network(settings.vm_subnet)), "gateway": settings.vm_gateway,
            "reserved": [], "mtu": 1500}


def view(row: Network) -> dict:
    record = {c: getattr(row, c) for c in ("name", "traffic_class", "env", "bridge", "segmentation", "segment_id",
                                           "underlay", "peers", "subnet", "gateway", "reserved", "mtu")}
    return {**record, "uplink": uplink_name(record), "created_at": iso(row.created_at)}


def _overlapping(rows, subnet: str) -> list[str]:
    net = ipaddress.ip_network(subnet)
    return [r.name for r in rows if ipaddress.ip_network(r.subnet).overlaps(net)]


def _same_segment(rows, values: dict) -> list[str]:
    if values["segmentation"] == "none":
        return []
    return [r.name for r in rows if r.segmentation == values["segmentation"] and r.segment_id == values["segment_id"]
            and (r.segmentation == "vxlan" or r.underlay == values["underlay"])]


class NetworkStore:
    def __init__(self, db: Database):
        self.db = db

    def list(self, env: str | None = None) -> list[dict]:
        """All networks, or those an environment may use (its own and the shared ones)."""
        query = select(Network).order_by(Network.name)
        if env is not None:
            query = query.where((Network.env == env) | Network.env.is_(None))
        with self.db.session() as s:
            return [view(r) for r in s.scalars(query)]

    def get(self, name: str) -> dict:
        with self.db.session() as s:
            row = s.get(Network, name)
            if row is None:
                raise NotFound(f"network {name!r} not found", code="unknown_network")
            return view(row)

    def create(self, values: dict) -> dict:
        """values: validated fields (operations.networks); refuses a name, subnet or segment in use."""
        values = {**values, "bridge": values.get("bridge") or bridge_name(values["name"])}
        try:
            with self.db.session() as s:
                self._refuse_clashes(s, values)
                row = Network(**values)
                s.add(row)
                s.flush()
                return view(row)
        except IntegrityError as exc:
            raise Conflict(f"network {values['name']!r} clashes with another network", code="network_exists") from exc

    def seed(self, values: dict) -> bool:
        """Inserts a network unless one of that name exists (the default, at start-up)."""
        if self.exists(values["name"]):
            return False
        try:
            self.create(values)
        except Conflict:
            return False
        return True

    def exists(self, name: str) -> bool:
        with self.db.session() as s:
            return s.get(Network, name) is not None

    def delete(self, name: str) -> dict:
        with self.db.session() as s:
            row = s.get(Network, name)
            if row is None:
                raise NotFound(f"network {name!r} not found", code="unknown_network")
            used = s.scalar(select(func.count()).select_from(IpAllocation).where(IpAllocation.network == name))
            if used:
                raise Conflict(f"network {name!r} has {used} addresses allocated", code="network_in_use",
                               details={"allocations": used})
            record = view(row)
            s.delete(row)
            return record

    def for_classes(self, env: str, classes: list[str], default: dict) -> tuple[list[dict], list[str]]:
        """Per traffic class, the environment's own network, else a shared one (the
        default for `vm` if no record exists); returns (networks, classes without one)."""
        candidates = self.list(env)
        found, missing = [], []
        for traffic_class in classes:
            matches = sorted((n for n in candidates if n["traffic_class"] == traffic_class),
                             key=lambda n: (n["env"] is None, n["name"]))
            if matches:
                found.append(matches[0])
            elif traffic_class == default["traffic_class"]:
                found.append({**default, "uplink": None})
            else:
                missing.append(traffic_class)
        return found, missing

    @staticmethod
    def _refuse_clashes(s, values: dict) -> None:
        rows = list(s.scalars(select(Network)))
        if any(r.name == values["name"] for r in rows):
            raise Conflict(f"network {values['name']!r} exists", code="network_exists")
        overlaps = _overlapping(rows, values["subnet"])
        if overlaps:
            raise Conflict(f"subnet {values['subnet']} overlaps network {overlaps[0]!r}", code="subnet_overlap",
                           details={"networks": overlaps})
        same = _same_segment(rows, values)
        if same:
            raise Conflict(f"{values['segmentation']} {values['segment_id']} is network {same[0]!r}'s",
                           code="segment_in_use", details={"networks": same})
        if any(r.bridge == values["bridge"] for r in rows):
            raise Conflict(f"bridge {values['bridge']} is taken", code="network_exists")
