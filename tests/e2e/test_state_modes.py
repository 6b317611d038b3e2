"""State files are not readable by other users (docs/operations.md#pid-files-logs-state).

Walks the running stack's state dir (HOSTFLOW_STATE_DIR) and the repository's
`.hostflow` (pid files, logs, openrc): no file may be readable and no directory
listable by others (the "other" read bit), unless it lies under one of the paths
QEMU must reach (OPEN, each with its reason) or a directory others cannot traverse
(a 0644 file in a 0750 directory is out of their reach)."""
import grp
import os
import stat
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Paths QEMU (user libvirt-qemu) must traverse or read, left as they are made (the node
# roots, nodes/, are QEMU's group's instead: test_node_roots_are_qemus_group_and_no_one_elses).
OPEN = {
    "shares": "share sources passed through to guests (9p/virtiofs run as libvirt-qemu)",
    "test": "the integration tests' node root test/nodes/itest (as nodes/)",
}


def exposed(top: Path, skip: dict) -> list[str]:
    """Paths under top that others can read (a file) or list (a directory), reachable
    from top through directories others may traverse."""
    found = []
    for dirpath, dirnames, filenames in os.walk(top):
        here = Path(dirpath)
        if here == top:
            dirnames[:] = [d for d in dirnames if d not in skip]
            filenames = [f for f in filenames if f not in skip]
        mode = os.lstat(here).st_mode
        if mode & stat.S_IROTH:
            found.append(f"{here}/ {stat.filemode(mode)}")
        if not mode & stat.S_IXOTH:
            dirnames[:] = []  # others cannot reach anything below
            continue
        for name in filenames:
            path = here / name
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode) or stat.S_ISSOCK(st.st_mode):
                continue
            if st.st_mode & stat.S_IROTH:
                found.append(f"{path} {stat.filemode(st.st_mode)}")
    return found


def test_state_dir_is_not_readable_by_others(settings):
    state = Path(settings.state_dir)
    mode = os.stat(state).st_mode
    assert not mode & stat.S_IROTH, f"{state} is listable by others: {stat.filemode(mode)}"
    assert mode & stat.S_IXOTH, f"{state} must stay traversable (QEMU, bind, postgres): {stat.filemode(mode)}"
    found = exposed(state, OPEN)
    assert not found, "readable by others:\n" + "\n".join(found)


def test_node_roots_are_qemus_group_and_no_one_elses(settings):
    """Guest disks, config drives, kernels and console logs: QEMU reads them through its
    group (setgid 2750 directories, so every file made in them is the group's; a volume
    pool's directory is 0750, as libvirt builds it), others get nothing. That guests
    still boot from them is what the allocate tests show."""
    nodes, gid = Path(settings.state_dir) / "nodes", grp.getgrnam(settings.qemu_group).gr_gid
    dirs = [nodes, *(p for p in nodes.rglob("*") if p.is_dir() and not p.is_symlink())]
    assert len(dirs) > 1, f"no node root under {nodes}"
    wrong = [f"{d} {stat.filemode(d.stat().st_mode)} gid {d.stat().st_gid}" for d in dirs
             if d.stat().st_mode & 0o057 != 0o050 or d.stat().st_gid != gid]
    assert not wrong, f"not {settings.qemu_group}'s to traverse, or open to others:\n" + "\n".join(wrong)
    files = [p for p in nodes.rglob("*") if p.is_file() and not p.is_symlink()]
    assert not [f for f in files if f.stat().st_mode & (stat.S_IROTH | stat.S_IWOTH)]


def test_repo_state_is_not_readable_by_others():
    found = exposed(REPO / ".hostflow", {})
    assert not found, "readable by others:\n" + "\n".join(found)


def test_data_files_are_private(settings):
    """The files that matter most, by name, whatever their directory's mode."""
    state = Path(settings.state_dir)
    names = ["hostflow.db", "hostflow.db-wal", "prefect/prefect.db", "prefect/prefect.db-wal",
             "redis/dump.rdb", "admin-token"]
    checked = 0
    for name in names:
        path = state / name
        if path.exists():
            checked += 1
            mode = os.stat(path).st_mode
            assert not mode & (stat.S_IROTH | stat.S_IWOTH | stat.S_IWGRP), f"{path}: {stat.filemode(mode)}"
    aof = state / "redis" / "appendonlydir"
    if aof.is_dir():
        for path in aof.iterdir():
            checked += 1
            assert not os.stat(path).st_mode & stat.S_IROTH, path
    assert checked, f"none of {names} under {state}"
