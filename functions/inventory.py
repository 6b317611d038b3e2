"""What a hypervisor node holds, as it finds it: the stack's domains, the instance
directories, the pool's volumes and leftover temporary files. The control plane's drift
report compares it with its records. Reads; changes nothing.

File sizes are bytes allocated on disk (a root disk or volume is sparse); a volume's
`bytes` is its capacity, `allocated_bytes` what libvirt reports allocated (None while
the pool is inactive). A file that goes away while it is read is left out: jobs on the
node go on meanwhile."""
from __future__ import annotations

import os
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

from functions import volumes
from functions.node import Node
from functions.outcome import Outcome, Plan

# what the node's writers name their files until they are complete (disk.tmp.qcow2 included)
TEMP_SUFFIXES = (".tmp", ".part", ".tmp.qcow2", ".src")


def node_inventory(node: Node, _req: dict) -> Outcome:
    """req: {} (nothing is asked)."""
    observed_at = datetime.now(UTC).isoformat()
    doms, dirs, vols, temps = domains(node), instances(node), pool_volumes(node), temp_files(node)
    note = f"{len(doms)} domains, {len(dirs)} instances, {len(vols)} volumes, {len(temps)} temp files"
    return Outcome.unchanged("read", note=note, node=node.name, observed_at=observed_at, domains=doms,
                             instances=dirs, volumes=vols, temp_files=temps)


def plan_node_inventory(_node: Node, _req: dict) -> Plan:
    return Plan("none", "reads the node's domains, instance directories, volumes and temporary files")


def domains(node: Node) -> list[dict]:
    """The domains carrying the stack's mark, by name. The state is read last: a domain
    undefined while it was read ("absent") is left out."""
    found = []
    for name in sorted(node.compute.domains_marked(node.stack)):
        host = node.compute.marks(name).get("host") or None
        disks = [d["source"] for d in node.compute.disks(name) if d["source"]]
        state = node.compute.power_state(name)
        if state != "absent":
            found.append({"domain": name, "host": host, "state": state, "disks": disks})
    return found


def instances(node: Node) -> list[dict]:
    directory = node.root / "instances"
    hosts = sorted(d for d in directory.iterdir() if d.is_dir() and not d.is_symlink()) if directory.is_dir() else []
    return [i for i in map(_instance, hosts) if i is not None]


def _instance(directory: Path) -> dict | None:
    """None for a directory removed while it was read (a reclaim)."""
    try:
        sizes = {f.name: _allocated(f) for f in sorted(directory.iterdir())}
    except FileNotFoundError:
        return None
    present = {name: size for name, size in sizes.items() if size is not None}
    return {"host": directory.name, "files": list(present), "bytes": sum(present.values())}


def pool_volumes(node: Node) -> list[dict]:
    return [{"name": v["name"], "path": v["path"], "bytes": v["capacity"], "allocated_bytes": v["allocation"]}
            for v in node.storage.volumes(volumes.pool_name(node))]


def temp_files(node: Node) -> list[dict]:
    """Files under the root named as a writer names an unfinished file: left by a crash, or
    being written right now (a young age_s)."""
    now, found = time.time(), []
    for directory, _dirs, files in os.walk(node.root):
        for path in (Path(directory) / name for name in files if name.endswith(TEMP_SUFFIXES)):
            st = _file_stat(path)
            if st is not None:
                found.append({"path": str(path), "bytes": st.st_blocks * 512, "age_s": round(now - st.st_mtime, 1)})
    return sorted(found, key=lambda f: f["path"])


def _file_stat(path: Path) -> os.stat_result | None:
    """A regular file's own stat (a symlink is not followed); None if it is not one, or gone."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def _allocated(path: Path) -> int | None:
    st = _file_stat(path)
    return None if st is None else st.st_blocks * 512
