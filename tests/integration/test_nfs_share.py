"""An NFS share mounted for real: nfs-ganesha (userspace, VFS backend) runs in a network
namespace the test makes on the test bridge (no uplink), and a guest whose config drive
carries the share's mount entry mounts it at boot and reads the export's marker.

nfs-ganesha reads its own EXPORT blocks, not exports(5) files: the export rule files
hostflow writes (for a kernel NFS server and `exportfs -ra`) are tested apart, in
test_share_functions.py; this test proves the guest's side of mode 2."""
import shutil
import subprocess
import time
import uuid

import pytest

from functions import compute, disks
from infra import console
from tests.integration.conftest import TEST_BRIDGE
from tests.integration.test_node_functions import bring_up, requests

GANESHA = shutil.which("ganesha.nfsd")
NS, VETH, PEER = "hf-itest-nfs", "hf-itnfs0", "hf-itnfs1"
SERVER = "10.213.9.1"
MOUNT_POINT = "/Data/nfs_share"

CONFIG = """
NFS_CORE_PARAM {{ NFS_Port = 2049; Bind_addr = {server}; Protocols = 4; Enable_NLM = false; Enable_RQUOTA = false; }}
NFSV4 {{ Graceless = true; }}
EXPORT {{
    Export_Id = 1; Path = {path}; Pseudo = {path}; Access_Type = RW; Squash = No_Root_Squash;
    Protocols = 4; Transports = TCP; SecType = sys;
    FSAL {{ Name = VFS; }}
}}
"""


def _ip(*args: str, check: bool = True):
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def _remove_namespace() -> None:
    _ip("netns", "del", NS, check=False)
    _ip("link", "del", VETH, check=False)


def _listening() -> bool:
    out = subprocess.run(["ip", "netns", "exec", NS, "ss", "-ltn"], capture_output=True, text=True).stdout
    return f"{SERVER}:2049 " in out or f"{SERVER}]:2049 " in out  # IPv4, or IPv4-mapped on an IPv6 socket


@pytest.fixture(scope="module")
def nfs_server(node):
    if not GANESHA:
        pytest.fail("nfs-ganesha is not installed: scripts/setup.sh installs it (run tests through scripts/test.sh)")
    node.netlink.ensure_bridge(TEST_BRIDGE)
    _remove_namespace()
    _ip("netns", "add", NS)
    _ip("link", "add", VETH, "type", "veth", "peer", "name", PEER)
    _ip("link", "set", PEER, "netns", NS)
    _ip("link", "set", VETH, "master", TEST_BRIDGE, "up")
    _ip("-n", NS, "addr", "add", f"{SERVER}/24", "dev", PEER)
    _ip("-n", NS, "link", "set", PEER, "up")
    _ip("-n", NS, "link", "set", "lo", "up")
    work = node.root.parent / "nfs-itest"
    shutil.rmtree(work, ignore_errors=True)
    export = work / "export"
    export.mkdir(parents=True)
    (export / "marker").write_text("from-nfs-ganesha\n")
    (work / "ganesha.conf").write_text(CONFIG.format(server=SERVER, path=export))
    proc = subprocess.Popen(["ip", "netns", "exec", NS, GANESHA, "-F", "-f", str(work / "ganesha.conf"),
                             "-L", str(work / "ganesha.log"), "-p", str(work / "ganesha.pid")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not _listening() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    if not _listening():
        proc.kill()
        _remove_namespace()
        pytest.fail(f"nfs-ganesha did not listen on {SERVER}:2049; log: {(work / 'ganesha.log').read_text()[-500:]}")
    yield {"export": export}
    proc.terminate()
    proc.wait(timeout=30)
    _remove_namespace()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def guest(node, test_image, nfs_server):
    host_id = str(uuid.uuid4())
    req = requests(test_image, host_id, "it-nfs", "10.213.9.33")
    share = {"name": "nfs-it", "source": str(nfs_server["export"]), "mount_point": MOUNT_POINT, "read_only": False,
             "mode": "nfs"}
    req["drive"] = {**req["drive"], "shares": [share], "nfs_server": SERVER}
    bring_up(node, req)
    yield {"host_id": host_id}
    compute.ensure_undefined(node, req["host"])
    disks.delete_instance_files(node, req["host"])


def test_the_guest_mounts_the_export_over_nfs_and_writes_to_it(node, nfs_server, guest):
    deadline, report = time.monotonic() + 30, None
    while time.monotonic() < deadline and report is None:
        state = console.latest(node.console_log(guest["host_id"])) or {}
        report = next((s for s in state.get("shares", []) if s["target"] == MOUNT_POINT), None)
        time.sleep(0.5)
    mounts = {m["target"]: m for m in state.get("mounts", [])}
    assert mounts.get(MOUNT_POINT, {}).get("fstype") == "nfs4", console.tail(node.console_log(guest["host_id"]), 30)
    assert report["marker"] == "from-nfs-ganesha"
    assert (nfs_server["export"] / "written-by-it-nfs").read_text().strip() == "it-nfs"
