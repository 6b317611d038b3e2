"""qemu-img, always with an explicit format and under resource limits."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from infra.errors import StorageError

CPU_SECONDS = 60
ADDRESS_SPACE = 1 << 30


def _run(*args: str) -> str:
    """prlimit rather than preexec_fn: preexec_fn forces a full fork of the worker."""
    limits = ["prlimit", f"--cpu={CPU_SECONDS}", f"--as={ADDRESS_SPACE}", "--"]
    proc = subprocess.run([*limits, "qemu-img", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise StorageError(f"qemu-img {args[0]} failed: {proc.stderr.strip()}", code="qemu_img_failed")
    return proc.stdout


def info(path: Path, fmt: str) -> dict:
    """-U: a running guest holds the write lock; reading metadata is still safe."""
    return json.loads(_run("info", "-U", "-f", fmt, "--output=json", str(path)))


def create_overlay(path: Path, base: Path, size_bytes: int) -> None:
    _run("create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(base.resolve()), str(path), str(size_bytes))


def resize(path: Path, fmt: str, size_bytes: int) -> None:
    _run("resize", "-q", "-f", fmt, str(path), str(size_bytes))
