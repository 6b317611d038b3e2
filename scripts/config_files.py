"""Writing generated service configuration (Swift, BIND) under the state dir."""
from __future__ import annotations

from pathlib import Path


def write_if_changed(path: Path, text: str, mode: int = 0o644, tool: str = "config") -> bool:
    """Replaces the file atomically when its text differs; True if it did."""
    if path.exists() and path.read_text() == text:
        return False
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.chmod(mode)
    tmp.replace(path)
    print(f"{tool}: wrote {path}")
    return True
