"""The NFS server's export rules: one file per host under an exports directory
(as /etc/exports.d/*.exports), and the command that makes the server reread them."""
from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from infra.errors import StorageError


class ExportsDir:
    def __init__(self, directory: Path, reload_command: str = ""):
        self.directory, self.reload_command = Path(directory), reload_command

    def path(self, host_id: str) -> Path:
        return self.directory / f"{host_id}.exports"

    def hosts(self) -> list[str]:
        """The hosts that have an export file."""
        if not self.directory.is_dir():
            return []
        return sorted(p.name.removesuffix(".exports") for p in self.directory.glob("*.exports"))

    def read(self, host_id: str) -> str | None:
        path = self.path(host_id)
        return path.read_text() if path.exists() else None

    def write(self, host_id: str, rules: str) -> None:
        """Atomically; the server never reads half a file."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = self.path(host_id).with_suffix(".tmp")
            tmp.write_text(rules)
            tmp.replace(self.path(host_id))
        except OSError as exc:
            raise StorageError(f"export rules for {host_id}: {exc}", code="exports_write_failed") from exc

    def remove(self, host_id: str) -> None:
        self.path(host_id).unlink(missing_ok=True)

    def reload(self) -> str:
        """Runs the reload command (none configured: nothing); returns what it ran."""
        if not self.reload_command.strip():
            return ""
        try:
            done = subprocess.run(shlex.split(self.reload_command), capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise StorageError(f"exports reload {self.reload_command!r}: {exc}", code="exports_reload_failed") from exc
        if done.returncode != 0:
            raise StorageError(f"exports reload {self.reload_command!r} exited {done.returncode}: "
                               f"{done.stderr.strip()[-300:]}", code="exports_reload_failed")
        return self.reload_command
