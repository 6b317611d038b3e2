"""qemu-img, always with an explicit format and under resource limits."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from infra.errors import StorageError

CPU_SECONDS = 60
CONVERT_CPU_SECONDS = 600  # a convert copies the whole image
ADDRESS_SPACE = 1 << 30


def _run(*args: str, cpu_seconds: int = CPU_SECONDS) -> str:
    """prlimit rather than preexec_fn: preexec_fn forces a full fork of the worker.
    MALLOC_ARENA_MAX: glibc reserves 64 MiB of address space per thread arena, so a
    convert's worker threads could exhaust the address-space limit on their own."""
    limits = ["prlimit", f"--cpu={cpu_seconds}", f"--as={ADDRESS_SPACE}", "--"]
    env = {**os.environ, "MALLOC_ARENA_MAX": "2"}
    proc = subprocess.run([*limits, "qemu-img", *args], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise StorageError(f"qemu-img {args[0]} failed: {proc.stderr.strip()}", code="qemu_img_failed")
    return proc.stdout


def info(path: Path, fmt: str) -> dict:
    """-U: a running guest holds the write lock; reading metadata is still safe."""
    return json.loads(_run("info", "-U", "-f", fmt, "--output=json", str(path)))


def create_overlay(path: Path, base: Path, size_bytes: int) -> None:
    _run("create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(base.resolve()), str(path), str(size_bytes))


def create_blank(path: Path, size_bytes: int) -> None:
    _run("create", "-q", "-f", "qcow2", str(path), str(size_bytes))


def resize(path: Path, fmt: str, size_bytes: int) -> None:
    _run("resize", "-q", "-f", fmt, str(path), str(size_bytes))


def convert_to_qcow2(src: Path, fmt: str, dest: Path) -> None:
    _run("convert", "-q", "-f", fmt, "-O", "qcow2", str(src), str(dest), cpu_seconds=CONVERT_CPU_SECONDS)
