"""Reaching a stock guest from the probe namespace on its bridge (the manifest and the
SSH key are fixtures in conftest.py)."""
import subprocess
import time
from pathlib import Path

from tests.e2e.conftest import forget_neighbour

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


def address_of(host: dict) -> str:
    return host["addresses"][0]["cidr"].split("/")[0]


def host_keys(probe: str, address: str) -> set[str]:
    done = subprocess.run(["ip", "netns", "exec", probe, "ssh-keyscan", "-T", "10", address],
                          capture_output=True, text=True, timeout=60)
    return {" ".join(line.split()[1:3]) for line in done.stdout.splitlines() if line and not line.startswith("#")}
