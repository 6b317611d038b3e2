"""Bodies of the share calls. A source must lie under one of the configured share roots
(`..` is refused outright, not resolved); both paths keep to characters that are safe
in an exports(5) line and a cloud-init mount entry."""
from __future__ import annotations

import posixpath
from pathlib import PurePosixPath
from typing import Literal

from pydantic import Field, StrictBool, StrictStr

from infra.errors import Invalid
from operations.requests import DNS_LABEL, Strict

PATH = r"^(/[A-Za-z0-9._-]+)+/?$"
SYSTEM_DIRS = {"/", "/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/run", "/sbin", "/sys", "/tmp", "/usr", "/var"}


class CreateShare(Strict):
    name: StrictStr = Field(pattern=DNS_LABEL, max_length=27, description="27 characters: its device tag is hfs-<name>")
    project: StrictStr = Field(default="default", pattern=DNS_LABEL, max_length=63,
                               description="the owner project: only its hosts (of `env`) get or attach the share")
    env: StrictStr = Field(pattern=DNS_LABEL, max_length=63)
    source: StrictStr = Field(pattern=PATH, max_length=1024, description="a directory on the hypervisors, under a "
                                                                         "share root (HOSTFLOW_SHARE_ROOTS)")
    mount_point: StrictStr = Field(pattern=PATH, max_length=255, description="where the guest mounts it")
    read_only: StrictBool = False
    mode: Literal["passthrough", "nfs"] = Field(default="passthrough",
                                                description="passthrough (virtiofs or 9p) or nfs (an export rule)")

    def record(self, roots: list) -> dict:
        return {"name": self.name, "project": self.project, "env": self.env,
                "source": checked_source(self.source, roots), "mount_point": checked_mount_point(self.mount_point),
                "read_only": self.read_only, "mode": self.mode}


class AttachShare(Strict):
    name: StrictStr = Field(pattern=DNS_LABEL, max_length=63)


def _has_dot_parts(path: str) -> bool:
    return any(part in {".", ".."} for part in path.split("/"))


def checked_source(source: str, roots: list) -> str:
    """The normalised source, or 422 share_path_outside_roots."""
    path = PurePosixPath(posixpath.normpath(source))
    inside = [str(r) for r in roots if path != PurePosixPath(r) and path.is_relative_to(PurePosixPath(r))]
    if _has_dot_parts(source) or not inside:
        raise Invalid(f"source {source!r} is not a directory under a share root ({', '.join(map(str, roots))})",
                      code="share_path_outside_roots", details={"roots": [str(r) for r in roots]})
    return str(path)


def checked_mount_point(mount_point: str) -> str:
    path = posixpath.normpath(mount_point)
    if _has_dot_parts(mount_point) or path in SYSTEM_DIRS or "/" + path.split("/")[1] in SYSTEM_DIRS - {"/var"}:
        raise Invalid(f"mount_point {mount_point!r} is not a place for a share", code="invalid_mount_point")
    return path
