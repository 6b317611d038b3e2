"""qemu-img, always with an explicit format and under resource limits."""
from __future__ import annotations

import json
import resource
import subprocess
from pathlib import Path

from infra.errors import StorageError

CPU_SECONDS = 60
ADDRESS_SPACE = 1 << 30


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _run(*args: str) -> str:
    proc = subprocess.run(["qemu-img", *args], capture_output=True, text=True, preexec_fn=_limits)
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
