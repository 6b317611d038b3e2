"""The OpenAPI component schemas: the request bodies, taken from the pydantic models, and
the records answered (`Error`, `Image`)."""
from __future__ import annotations

from api.openapi.fragments import ERROR
from api.openapi.image_paths import IMAGE_RECORD
from operations.networks import CreateNetwork
from operations.requests import (
    AllocateHost,
    AttachVolume,
    CreateBackup,
    CreateImage,
    CreateVolume,
    GenericWebhook,
    HostAction,
    RebuildHost,
    ReclaimOptions,
    RegisterName,
    RepairDrift,
    ResizeHost,
    RestoreBackup,
    SnapshotHost,
    UpdateImage,
)
from operations.share_requests import AttachShare, CreateShare


def component_schemas() -> dict:
    """`components.schemas`: each request model's JSON schema, and `Error`."""
    return {"AllocateHost": AllocateHost.model_json_schema(),
            "GenericWebhook": GenericWebhook.model_json_schema(),
            "CreateVolume": CreateVolume.model_json_schema(),
            "AttachVolume": AttachVolume.model_json_schema(),
            "ReclaimOptions": ReclaimOptions.model_json_schema(),
            "CreateBackup": CreateBackup.model_json_schema(),
            "RestoreBackup": RestoreBackup.model_json_schema(),
            "ResizeHost": ResizeHost.model_json_schema(), "Error": ERROR,
            "HostAction": HostAction.model_json_schema(),
            "SnapshotHost": SnapshotHost.model_json_schema(),
            "RebuildHost": RebuildHost.model_json_schema(),
            "CreateImage": CreateImage.model_json_schema(),
            "UpdateImage": UpdateImage.model_json_schema(),
            "Image": IMAGE_RECORD,
            "RegisterName": RegisterName.model_json_schema(),
            "CreateNetwork": CreateNetwork.model_json_schema(),
            "CreateShare": CreateShare.model_json_schema(),
            "AttachShare": AttachShare.model_json_schema(),
            "RepairDrift": RepairDrift.model_json_schema()}
