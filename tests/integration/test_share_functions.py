"""The share functions against real libvirtd and a QEMU TCG guest (9p here; the e2e test
runs whichever driver the nodes pick), and the NFS export rules as files."""
import dataclasses
import shutil
import uuid
from pathlib import Path

import pytest

from functions import compute, disks, shares
from functions.node import Control
from infra import console
from infra.domain_xml import DomainSpec, Filesystem, build, domain_name
from infra.errors import ComputeError
from infra.nfs_exports import ExportsDir
from tests.integration.conftest import TEST_STACK
from tests.integration.test_node_functions import bring_up, requests


@pytest.fixture(scope="module")
def ninep(node):
    return dataclasses.replace(node, share_driver="9p")


@pytest.fixture(scope="module")
def share(node):
    source = node.root.parent / "shares-itest"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    source.chmod(0o777)
    (source / "marker").write_text("it-marker\n")
    yield {"name": "itest", "source": str(source), "mount_point": "/Data/it_share", "read_only": False,
           "mode": "passthrough"}
    shutil.rmtree(source, ignore_errors=True)


@pytest.fixture(scope="module")
def guest(ninep, test_image):
    """Booted with no share; the tests attach one through the functions."""
    host_id = str(uuid.uuid4())
    req = requests(test_image, host_id, "it-share", "10.213.9.30")
    bring_up(ninep, req)
    yield {"host_id": host_id, "req": req}
    compute.ensure_undefined(ninep, req["host"])
    disks.delete_instance_files(ninep, req["host"])


def attach(node, host_id: str, wanted: list[dict], before: list[dict]) -> dict:
    req = {"host_id": host_id, "shares": wanted, "before": before}
    return {"mounts": shares.ensure_share_mounts(node, req), "devices": shares.apply_share_devices(node, req),
            "wait": shares.wait_guest_mounts(node, req)}


def test_attach_restarts_the_guest_onto_a_9p_mount_it_writes_to(ninep, guest, share):
    done = attach(ninep, guest["host_id"], [share], [])
    assert done["mounts"].changed and done["devices"].changed and done["devices"].note == "stop, redefine, start"
    state = console.latest(ninep.console_log(guest["host_id"]))
    mounted = {m["target"]: m for m in state["mounts"]}
    assert mounted["/Data/it_share"]["fstype"] == "9p" and mounted["/Data/it_share"]["source"] == "hfs-itest"
    report = next(s for s in state["shares"] if s["target"] == "/Data/it_share")
    assert report["marker"] == "it-marker"
    assert (Path(share["source"]) / "written-by-it-share").read_text().strip() == "it-share"


def test_attach_again_changes_nothing(ninep, guest, share):
    done = attach(ninep, guest["host_id"], [share], [])
    assert not any(o.changed for o in done.values())
    assert ninep.compute.state(domain_name(guest["host_id"])) == "running"


def test_the_inverse_takes_it_away_again(ninep, guest, share):
    req = {"host_id": guest["host_id"], "shares": [share], "before": []}
    assert shares.revert_share_devices(ninep, req).changed
    assert shares.revert_share_mounts(ninep, req).changed is False  # reverted with the devices
    assert ninep.compute.filesystems(domain_name(guest["host_id"])) == []
    assert shares.wait_guest_mounts(ninep, {**req, "shares": []}).after == []


# --- read-only over virtiofs ----------------------------------------------------------

def define_with(node, fs: Filesystem) -> str:
    """Defines (never starts) a domain whose one share is `fs`; its name."""
    host_id = str(uuid.uuid4())
    files = node.root / "virtiofs-probe"
    spec = DomainSpec(name=domain_name(host_id), host_id=host_id, operation_id="itest", project="default",
                      stack=TEST_STACK, vcpus=1, ram_mb=128, virt_type="qemu", root_disk=str(files / "root.qcow2"),
                      config_drive=str(files / "config.iso"), console_log=str(files / "console.log"),
                      filesystems=(fs,))
    node.compute.define(build(spec))
    return spec.name


def test_this_libvirt_refuses_a_read_only_virtiofs_share(node, share):
    """Why hostflow refuses a read-only passthrough share where the driver is virtiofs
    (operations.shares.check_driver, 422 read_only_virtiofs_unsupported): libvirt 9.0 will
    not define the domain, while the same share read-write it defines. Should this fail,
    this libvirt takes <readonly/> on virtiofs: test the guest's mount and lift the refusal."""
    version = node.compute.conn.getLibVersion()
    name = define_with(node, Filesystem(share["source"], "hfs-itest", read_only=False, driver="virtiofs"))
    node.compute.undefine(name)
    try:
        with pytest.raises(ComputeError) as err:
            name = define_with(node, Filesystem(share["source"], "hfs-itest", read_only=True, driver="virtiofs"))
    finally:
        if node.compute.state(name) != "absent":
            node.compute.undefine(name)
    assert "virtiofs does not yet support read-only mode" in err.value.message, (version, err.value.message)


# --- NFS export rules ---------------------------------------------------------------

NFS = {"name": "docs", "source": "/srv/shares/docs", "mount_point": "/Docs", "read_only": True, "mode": "nfs"}


@pytest.fixture
def control(tmp_path):
    reloads = tmp_path / "reloads"
    exports = ExportsDir(tmp_path / "exports.d", f"sh -c 'echo reloaded >> {reloads}'")
    return Control(capacity=None, ipam=None, vm_network="vm", vm_subnet="", vm_gateway="", exports=exports)


def reload_count(control) -> int:
    path = control.exports.directory.parent / "reloads"
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_export_rules_are_written_once_and_reloaded(control):
    req = {"host_id": "h1", "address": "10.9.0.5", "shares": [NFS]}
    first = shares.ensure_share_exports(control, req)
    assert first.changed and reload_count(control) == 1
    assert (control.exports.directory / "h1.exports").read_text() == \
        "/srv/shares/docs 10.9.0.5(ro,sync,no_subtree_check)\n"
    again = shares.ensure_share_exports(control, req)
    assert not again.changed and reload_count(control) == 1


def test_removing_export_rules_is_done_once(control):
    shares.ensure_share_exports(control, {"host_id": "h1", "address": "10.9.0.5", "shares": [NFS]})
    assert shares.remove_share_exports(control, {"host_id": "h1"}).changed
    assert not (control.exports.directory / "h1.exports").exists() and reload_count(control) == 2
    assert not shares.remove_share_exports(control, {"host_id": "h1"}).changed


def test_passthrough_shares_need_no_export(control):
    share = {**NFS, "mode": "passthrough"}
    assert not shares.ensure_share_exports(control, {"host_id": "h1", "address": None, "shares": [share]}).changed
    assert not (control.exports.directory / "h1.exports").exists() and reload_count(control) == 0


def test_a_failing_reload_is_a_clear_error(control):
    from infra.errors import StorageError

    control.exports.reload_command = "false"
    with pytest.raises(StorageError) as err:
        shares.ensure_share_exports(control, {"host_id": "h1", "address": "10.9.0.5", "shares": [NFS]})
    assert err.value.code == "exports_reload_failed"
