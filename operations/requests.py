"""Request bodies, validated with pydantic: unknown fields are refused."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, StringConstraints

from infra.errors import Invalid
from infra.image_inspection import CONTAINER_FORMATS, DISK_FORMATS
from operations.ssh_keys import check_public_key
from operations.user_data import check_user_data

DNS_LABEL = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
FQDN_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
FQDN = rf"^({FQDN_LABEL}\.)+{FQDN_LABEL}\.?$"
BusinessName = Annotated[str, StringConstraints(strict=True, pattern=FQDN, max_length=254)]
SshKey = Annotated[StrictStr, AfterValidator(check_public_key)]
UserData = Annotated[StrictStr, AfterValidator(check_user_data)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Flavor(Strict):
    vcpus: StrictInt
    ram_mb: StrictInt
    disk_gb: StrictInt


class AllocateHost(Strict):
    name: StrictStr = Field(pattern=DNS_LABEL, max_length=63)
    env: StrictStr = Field(pattern=DNS_LABEL, max_length=63)
    image: StrictStr = Field(min_length=1, max_length=255)
    flavor: Flavor
    project: StrictStr = Field(default="default", pattern=DNS_LABEL, max_length=63)
    ssh_keys: list[SshKey] = Field(default_factory=list, max_length=32)
    user_data: UserData | None = Field(default=None, description=(
        "cloud-init user-data, base64 (at most 65535 characters), passed to the guest untouched"))
    hypervisor: StrictStr | None = Field(default=None, pattern=DNS_LABEL, max_length=63,
                                         description="place the host on this node (where its volumes live)")
    names: list[BusinessName] | None = Field(default=None, max_length=8, description=(
        "business names: CNAMEs to the host's fqdn in the managed zone, published once its guest is up"))
    restart: Literal["never", "always"] | None = Field(default=None, description=(
        "always: hostflow starts the guest again whenever it stops on its own, with backoff; never (the default)"))


class ReclaimOptions(Strict):
    delete_volumes: StrictBool = Field(default=False, description="delete the host's volumes, not detach them")


class ReclaimHost(ReclaimOptions):
    host_id: StrictStr = Field(min_length=1, max_length=64)


class GenericWebhook(Strict):
    operation: StrictStr
    params: dict
    # the signed body is the delivery's key: a distinct id makes the same request asked again a new one
    request_id: StrictStr | None = Field(None, min_length=1, max_length=200)


def refuse_out_of_range(errors: list[dict]) -> None:
    """A 422 naming the first value out of range, with all of them in its details."""
    if errors:
        first = errors[0]
        raise Invalid(f"{'.'.join(map(str, first['loc']))}: {first['msg']}", details={"errors": errors})


def flavor_limits(flavor: Flavor, settings) -> list[dict]:
    """Errors for values out of range, in pydantic's error shape."""
    limits = {"vcpus": settings.max_vcpus, "ram_mb": settings.max_ram_mb, "disk_gb": settings.max_disk_gb}
    errors = []
    for name, limit in limits.items():
        value = getattr(flavor, name)
        if not 1 <= value <= limit:
            errors.append({"loc": ["flavor", name], "msg": f"must be between 1 and {limit}", "input": value})
    return errors


class CreateVolume(Strict):
    name: StrictStr = Field(pattern=DNS_LABEL, max_length=63)
    size_gb: StrictInt
    env: StrictStr = Field(pattern=DNS_LABEL, max_length=63)
    project: StrictStr = Field(default="default", pattern=DNS_LABEL, max_length=63)
    hypervisor: StrictStr | None = Field(default=None, pattern=DNS_LABEL, max_length=63,
                                         description="place the volume on this node (where its host runs)")


class ExtendVolume(Strict):
    size_gb: StrictInt


class AttachVolume(Strict):
    volume_id: StrictStr = Field(min_length=1, max_length=64)


def size_limit(size_gb: int, settings) -> list[dict]:
    if not 1 <= size_gb <= settings.max_volume_gb:
        return [{"loc": ["size_gb"], "msg": f"must be between 1 and {settings.max_volume_gb}", "input": size_gb}]
    return []


class CreateBackup(Strict):
    name: StrictStr | None = Field(default=None, pattern=DNS_LABEL, max_length=63)
    incremental: StrictBool = Field(default=False, description="store only chunks changed since the newest backup")


class RestoreBackup(Strict):
    volume_id: StrictStr | None = Field(default=None, min_length=1, max_length=64,
                                        description="an `available` volume to overwrite; omitted: a new volume")
    name: StrictStr | None = Field(default=None, pattern=DNS_LABEL, max_length=63, description="of the new volume")
    hypervisor: StrictStr | None = Field(default=None, pattern=DNS_LABEL, max_length=63,
                                         description="where the new volume goes")


class ResizeHost(Strict):
    flavor: Flavor


class HostAction(Strict):
    """A power action (the shape of Nova's server actions)."""

    action: Literal["start", "stop", "reboot", "suspend", "resume", "pause", "unpause"]
    force: StrictBool = Field(default=False, description="stop: off at once, no graceful shutdown; "
                                                         "reboot: the same as type hard")
    type: Literal["soft", "hard"] = Field(default="soft", description="reboot: soft (a clean shutdown first, "
                                                                      "forced after a timeout) or hard (at once)")

    def model_post_init(self, _context) -> None:
        if self.type == "hard":
            self.force = True
        if self.force and self.action not in {"stop", "reboot"}:
            raise Invalid(f"force applies to stop and reboot, not {self.action}", code="invalid_request")


DiskFormat = Literal[tuple(sorted(DISK_FORMATS))]
ContainerFormat = Literal[tuple(sorted(CONTAINER_FORMATS))]
PropertyKey = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9_.:-]+$", max_length=255)]
PropertyValue = Annotated[str, StringConstraints(strict=True, max_length=65535)]
IMAGE_NAME = {"min_length": 1, "max_length": 255}
ProjectName = Annotated[str, StringConstraints(strict=True, pattern=DNS_LABEL, max_length=63)]
Visibility = Literal["private", "shared", "public"]
VISIBILITY = ("private: the owner project only; shared: also the projects in shared_with; public: every "
              "project (admin tokens only)")
SHARED_WITH = "the projects a shared image is usable by, besides its owner"


class CreateImage(Strict):
    name: StrictStr = Field(**IMAGE_NAME)
    disk_format: DiskFormat
    container_format: ContainerFormat
    min_disk_gb: StrictInt = Field(default=0, ge=0, le=1 << 20)
    min_ram_mb: StrictInt = Field(default=0, ge=0, le=1 << 30)
    properties: dict[PropertyKey, PropertyValue] = Field(default_factory=dict, max_length=128)
    kernel_id: StrictStr | None = Field(default=None, min_length=1, max_length=64,
                                        description="an aki image (for an ami image: direct kernel boot)")
    ramdisk_id: StrictStr | None = Field(default=None, min_length=1, max_length=64, description="an ari image")
    protected: StrictBool = False
    project: StrictStr | None = Field(default=None, pattern=DNS_LABEL, max_length=63, description=(
        "the owner project: one of the token's (any for an admin); default: the token's one project, "
        "`default` for an admin token without one"))
    visibility: Visibility = Field(default="private", description=VISIBILITY)
    shared_with: list[ProjectName] = Field(default_factory=list, max_length=64, description=SHARED_WITH)


class UpdateImage(Strict):
    """JSON merge patch: an absent field is kept; a property set to null is removed."""

    name: StrictStr = Field(default=None, **IMAGE_NAME)
    min_disk_gb: StrictInt = Field(default=None, ge=0, le=1 << 20)
    min_ram_mb: StrictInt = Field(default=None, ge=0, le=1 << 30)
    properties: dict[PropertyKey, PropertyValue | None] = Field(default=None, max_length=128)
    protected: StrictBool = Field(default=None)
    visibility: Visibility = Field(default=None, description=VISIBILITY)
    shared_with: list[ProjectName] = Field(default=None, max_length=64, description=SHARED_WITH)


class SnapshotHost(Strict):
    name: StrictStr = Field(min_length=1, max_length=255, description="of the new image")


class RebuildHost(Strict):
    image: StrictStr = Field(min_length=1, max_length=255, description="image id, or the name of an active image")


class RegisterName(Strict):
    fqdn: StrictStr = Field(pattern=FQDN, max_length=254,
                            description="inside the managed forward zone; case and a trailing dot are ignored")
    type: Literal["CNAME", "A"] = Field(description="CNAME -> the host's fqdn; A -> its vm address")
    ttl: StrictInt | None = Field(default=None, ge=60, le=86400)
    force: StrictBool = Field(default=False, description="take over a name pointing elsewhere")


def validate_allocate(raw: dict, settings) -> AllocateHost:
    body = AllocateHost.model_validate(raw)
    refuse_out_of_range(flavor_limits(body.flavor, settings))
    return body


Project = Annotated[str, StringConstraints(strict=True, pattern=DNS_LABEL, max_length=63)]


class CreateToken(Strict):
    name: StrictStr = Field(min_length=1, max_length=120)
    role: Literal["admin", "operator", "viewer"]
    projects: list[Project] = Field(default_factory=list, max_length=64)


# The kinds of the drift report's findings (operations.drift), by source;
# tests/unit/test_drift_api.py checks the list against the checks.
DRIFT_KINDS = (
    "leaked_claim", "host_without_claim", "claim_totals_differ", "leaked_lease", "address_without_lease",
    "dns_record_of_gone_host", "dns_record_missing", "dns_record_differs", "dns_record_left",
    "image_object_missing", "backup_object_missing", "orphan_object", "export_of_gone_host", "export_missing",
    "domain_without_host", "host_without_domain", "instance_files_without_host", "volume_without_record",
    "volume_missing", "temp_file_left", "host_state_stuck",
)
FindingId = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9a-f]{16}$")]


class RepairDrift(Strict):
    findings: list[FindingId] = Field(default=None, max_length=1000, description=(
        "repair only these findings, by their `id` in GET /v1/drift (an unsafe one is listed in `left`); "
        "absent: every safe finding; empty: none"))
