"""Every function a flow can dispatch, by name: where it runs, its plan, its inverse."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from functions import backups, capacity, compute, disks, images, ipam, volume_extend, volumes


@dataclass(frozen=True)
class Entry:
    run: Callable
    plan: Callable
    context: str  # "node" (a hypervisor) or "control"


FUNCTIONS: dict[str, Entry] = {
    "claim_capacity": Entry(capacity.claim_capacity, capacity.plan_claim, "control"),
    "release_capacity": Entry(capacity.release_capacity, capacity.plan_release, "control"),
    "allocate_ip": Entry(ipam.allocate_ip, ipam.plan_allocate, "control"),
    "release_ip": Entry(ipam.release_ip, ipam.plan_release, "control"),
    "ensure_image_cached": Entry(images.ensure_image_cached, images.plan_image_cached, "node"),
    "ensure_root_disk": Entry(disks.ensure_root_disk, disks.plan_root_disk, "node"),
    "ensure_config_drive": Entry(disks.ensure_config_drive, disks.plan_config_drive, "node"),
    "delete_config_drive": Entry(disks.delete_config_drive, disks.plan_delete, "node"),
    "delete_instance_files": Entry(disks.delete_instance_files, disks.plan_delete, "node"),
    "ensure_domain_defined": Entry(compute.ensure_domain_defined, compute.plan_defined, "node"),
    "ensure_running": Entry(compute.ensure_running, compute.plan_running, "node"),
    "wait_guest_up": Entry(compute.wait_guest_up, lambda _n, _r: compute.Plan("wait", "guest reports up"), "node"),
    "ensure_stopped": Entry(compute.ensure_stopped, compute.plan_stopped, "node"),
    "ensure_undefined": Entry(compute.ensure_undefined, compute.plan_undefined, "node"),
    "extend_volume": Entry(volume_extend.extend_volume, volume_extend.plan_extend, "node"),
    "ensure_volume": Entry(volumes.ensure_volume, volumes.plan_volume, "node"),
    "delete_volume": Entry(volumes.delete_volume, volumes.plan_delete_volume, "node"),
    "delete_host_volumes": Entry(volumes.delete_host_volumes, volumes.plan_delete_host_volumes, "node"),
    "attach_volume": Entry(volumes.attach_volume, volumes.plan_attach, "node"),
    "detach_volume": Entry(volumes.detach_volume, volumes.plan_detach, "node"),
    "wait_volume_visible": Entry(volumes.wait_volume_visible, volumes.plan_visible, "node"),
    "backup_volume": Entry(backups.backup_volume, backups.plan_backup, "node"),
    "restore_backup": Entry(backups.restore_backup, backups.plan_restore, "node"),
    "delete_backup_objects": Entry(backups.delete_backup_objects, backups.plan_delete_backup, "control"),
}
