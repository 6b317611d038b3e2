"""Reaching a stock guest from the probe namespace on its bridge (the manifest and the
SSH key are fixtures in conftest.py)."""
import subprocess
import time
from pathlib import Path

from tests.e2e.conftest import forget_neighbour, wait_for

UNREACHED = ("Connection refused", "Connection timed out", "No route to host")


def ssh(probe: str, key: Path, user: str, address: str, command: str, wait: float = 90) -> str:
    """The command's output over SSH. A connection that does not reach sshd is tried again
    for `wait` seconds, as an operator would: a guest up by its agent may still be
    starting sshd (cloud-init makes its host keys first), and the probe may still hold
    the MAC address of an earlier guest that had this address (its stale neighbour entry
    takes seconds to be probed away). Any other failure fails at once."""
    argv = ["ip", "netns", "exec", probe, "ssh", "-i", str(key), "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
            "-o", "LogLevel=ERROR", f"{user}@{address}", command]
    forget_neighbour(probe, address)
    deadline = time.monotonic() + wait
    while True:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        unreached = done.returncode == 255 and any(words in done.stderr for words in UNREACHED)
        if not unreached or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert done.returncode == 0, done.stderr
    return done.stdout


def disk_links(probe: str, key: Path, user: str, address: str) -> list[str]:
    return ssh(probe, key, user, address, "ls -1 /dev/disk/by-id/ || true").split()


def wait_disk_link(probe: str, key: Path, user: str, address: str, link: str, present: bool = True,
                   wait: float = 30) -> None:
    """Until the guest's /dev/disk/by-id has (or, present False, no longer has) `link`: its
    udev makes and removes the link a moment after the kernel has the disk or lets it go,
    and an attach or a detach ends on the kernel's view (the agent's lsblk, libvirt's removal)."""
    name = link.rsplit("/", 1)[-1]
    wanted = f"{name} {'in' if present else 'gone from'} /dev/disk/by-id of the guest at {address}"
    wait_for(lambda: disk_links(probe, key, user, address), wanted, wait,
             until=lambda names: (name in names) == present, interval=0.5)


def address_of(host: dict) -> str:
    return host["addresses"][0]["cidr"].split("/")[0]


def host_keys(probe: str, address: str) -> set[str]:
    done = subprocess.run(["ip", "netns", "exec", probe, "ssh-keyscan", "-T", "10", address],
                          capture_output=True, text=True, timeout=60)
    return {" ".join(line.split()[1:3]) for line in done.stdout.splitlines() if line and not line.startswith("#")}
