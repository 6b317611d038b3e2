"""Vendors xterm.js (the dashboard's interactive console) into api/ui/static/vendor/:
the package's tarball from the npm registry, checked against its pinned integrity, of
which lib/xterm.js and css/xterm.css are kept. Nothing is fetched at run time.
Idempotent: files already there from this version are left alone."""
from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "5.5.0"
TARBALL = f"https://registry.npmjs.org/@xterm/xterm/-/xterm-{VERSION}.tgz"
INTEGRITY = "sha512-hqJHYaQb5OptNunnyAnkHyM8aCjZ1MEIDTQu1iIbbTD/xops91NB5yq1ZK/dC2JDbVWtF23zUtl9JE2NqwT87A=="
KEEP = {"package/lib/xterm.js": "xterm.js", "package/css/xterm.css": "xterm.css"}
VENDOR = Path(__file__).resolve().parents[1] / "api" / "ui" / "static" / "vendor"


def main() -> int:
    stamp = VENDOR / "VERSION"
    if stamp.exists() and stamp.read_text().strip() == VERSION and all((VENDOR / f).exists() for f in KEEP.values()):
        print(f"vendor-xterm: xterm.js {VERSION} in place")
        return 0
    with urllib.request.urlopen(TARBALL, timeout=60) as resp:
        data = resp.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != INTEGRITY:
        print(f"vendor-xterm: {TARBALL} does not match its pinned integrity", file=sys.stderr)
        return 1
    VENDOR.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member, name in KEEP.items():
            (VENDOR / name).write_bytes(tar.extractfile(member).read())
    stamp.write_text(VERSION + "\n")
    print(f"vendor-xterm: xterm.js {VERSION} vendored into {VENDOR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
