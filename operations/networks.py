"""The body of POST /v1/networks: ranges and consistency checked here (422); clashes
with other networks (name, subnet overlap, segment) are the store's (409)."""
from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, IPvAnyAddress, StrictInt, StrictStr, model_validator

from functions.ipam import parse_range
from operations.requests import DNS_LABEL, Strict

SEGMENT_RANGES = {"vxlan": (1, 16777215), "vlan": (1, 4094)}
IFNAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,14}$"


class CreateNetwork(Strict):
    name: StrictStr = Field(pattern=DNS_LABEL, max_length=63)
    traffic_class: StrictStr = Field(pattern=DNS_LABEL, max_length=32, description="vm, storage, share, ...")
    env: StrictStr | None = Field(default=None, pattern=DNS_LABEL, max_length=63,
                                  description="the environment it serves; null: every environment")
    segmentation: Literal["none", "vxlan", "vlan"] = "none"
    segment_id: StrictInt | None = Field(default=None, description="VNI (1..16777215) or VLAN id (1..4094)")
    underlay: StrictStr | None = Field(default=None, pattern=IFNAME, description="the node interface carrying it")
    peers: list[IPvAnyAddress] = Field(default_factory=list, max_length=256,
                                       description="VXLAN: every node's underlay address (static flood list)")
    subnet: StrictStr
    gateway: IPvAnyAddress | None = None
    reserved: list[StrictStr] = Field(default_factory=list, max_length=64,
                                      description='"a-b", "a" or a CIDR inside the subnet')
    mtu: StrictInt | None = Field(default=None, ge=576, le=9000, description="default 1450 for vxlan, else 1500")

    @model_validator(mode="after")
    def _consistent(self):
        _check_segment(self.segmentation, self.segment_id, self.underlay)
        net = _subnet(self.subnet)
        if self.gateway is not None and ipaddress.ip_address(self.gateway) not in net:
            raise ValueError(f"gateway {self.gateway} is not in {net}")
        for text in self.reserved:
            parse_range(text, net)
        return self

    def record(self) -> dict:
        values = self.model_dump()
        values.update(subnet=str(_subnet(self.subnet)), gateway=str(self.gateway) if self.gateway else None,
                      peers=[str(p) for p in self.peers],
                      mtu=self.mtu or (1450 if self.segmentation == "vxlan" else 1500))
        return values


def _subnet(text: str):
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise ValueError(f"subnet: {exc}") from None
    if net.num_addresses < 4:
        raise ValueError("subnet must hold at least two host addresses")
    return net


def _check_segment(kind: str, segment_id: int | None, underlay: str | None) -> None:
    if kind == "none":
        if segment_id is not None or underlay is not None:
            raise ValueError("segment_id and underlay need segmentation vxlan or vlan")
        return
    low, high = SEGMENT_RANGES[kind]
    if segment_id is None or not low <= segment_id <= high:
        raise ValueError(f"segment_id: a {kind} id is {low}..{high}, got {segment_id}")
    if underlay is None:
        raise ValueError(f"a {kind} network needs an underlay interface")
