"""What a host's shares become: filesystem devices in its domain, mount entries in its
config drive (cloud-init `mounts` in vendor-data, fstab-like), export rules on the NFS server.

A share here is the part of its record the nodes need: {"name", "source", "mount_point",
"read_only", "mode"}. Pure functions: the same shares give the same text."""
from __future__ import annotations

import hashlib

NINEP_OPTIONS = "trans=virtio,version=9p2000.L"
NFS_OPTIONS = "vers=4.1,proto=tcp,hard"  # plus addr=: a kernel mount with no mount.nfs helper needs it
PASSTHROUGH_DRIVERS = ("9p", "virtiofs")


def node_view(share: dict) -> dict:
    return {k: share[k] for k in ("name", "source", "mount_point", "read_only", "mode")}


def tag(name: str) -> str:
    """The device tag the guest mounts by (9p allows 31 bytes)."""
    full = f"hfs-{name}"
    return full if len(full) <= 31 else "hfs-" + hashlib.sha1(name.encode()).hexdigest()[:16]


def passthrough(shares: list[dict]) -> list[dict]:
    return [s for s in shares if s["mode"] == "passthrough"]


def nfs(shares: list[dict]) -> list[dict]:
    return [s for s in shares if s["mode"] == "nfs"]


def filesystems(shares: list[dict], driver: str) -> list[dict]:
    """The domain's <filesystem> devices, sorted by tag."""
    found = [{"source": s["source"], "tag": tag(s["name"]), "read_only": bool(s["read_only"]), "driver": driver}
             for s in passthrough(shares)]
    return sorted(found, key=lambda f: f["tag"])


def mounts(shares: list[dict], driver: str, nfs_server: str = "") -> list[list[str]]:
    """cloud-init `mounts` entries: [source, mount point, type, options, dump, pass]."""
    entries = []
    for share in sorted(shares, key=lambda s: s["mount_point"]):
        access = "ro" if share["read_only"] else "rw"
        if share["mode"] == "nfs":
            entries.append([f"{nfs_server}:{share['source']}", share["mount_point"], "nfs4",
                            f"{NFS_OPTIONS},addr={nfs_server},{access}", "0", "0"])
        elif driver == "virtiofs":
            entries.append([tag(share["name"]), share["mount_point"], "virtiofs", access, "0", "0"])
        else:
            entries.append([tag(share["name"]), share["mount_point"], "9p", f"{NINEP_OPTIONS},{access}", "0", "0"])
    return entries


def mount_targets(shares: list[dict]) -> list[str]:
    return sorted(s["mount_point"] for s in shares)


def export_rules(shares: list[dict], address: str) -> str:
    """exports(5) lines granting one client address each NFS share ("" when none)."""
    lines = [f"{s['source']} {address}({'ro' if s['read_only'] else 'rw'},sync,no_subtree_check)"
             for s in sorted(nfs(shares), key=lambda s: s["source"])]
    return "".join(line + "\n" for line in lines)


def share_address(addresses: list[dict], networks: list[dict]) -> str | None:
    """The host's address on its `share` network, else its first address (the vm one).
    addresses: [{"network", "address"}]; networks: [{"name", "traffic_class"}]."""
    classes = {n["name"]: n.get("traffic_class") for n in networks}
    on_share = [a for a in addresses if classes.get(a["network"]) == "share"]
    chosen = (on_share or addresses or [None])[0]
    return chosen and chosen["address"]
