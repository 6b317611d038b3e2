"""Every function a flow can dispatch, by name: where it runs, its plan, its inverse."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from functions import (
    backups,
    capacity,
    compute,
    console,
    disks,
    dns,
    image_cache,
    images,
    ipam,
    networks,
    power,
    rebuild,
    resize,
    shares,
    snapshots,
    volume_extend,
    volumes,
)


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
    "ensure_networks": Entry(networks.ensure_networks, networks.plan_networks, "node"),
    "ensure_image_cached": Entry(images.ensure_image_cached, images.plan_image_cached, "node"),
    "clean_image_cache": Entry(image_cache.clean_image_cache, image_cache.plan_clean_image_cache, "node"),
    "ensure_root_disk": Entry(disks.ensure_root_disk, disks.plan_root_disk, "node"),
    "ensure_config_drive": Entry(disks.ensure_config_drive, disks.plan_config_drive, "node"),
    "delete_config_drive": Entry(disks.delete_config_drive, disks.plan_delete, "node"),
    "delete_instance_files": Entry(disks.delete_instance_files, disks.plan_delete, "node"),
    "ensure_domain_defined": Entry(compute.ensure_domain_defined, compute.plan_defined, "node"),
    "ensure_running": Entry(compute.ensure_running, compute.plan_running, "node"),
    "wait_guest_up": Entry(compute.wait_guest_up, lambda _n, _r: compute.Plan("wait", "guest reports up"), "node"),
    "ensure_stopped": Entry(compute.ensure_stopped, compute.plan_stopped, "node"),
    "ensure_undefined": Entry(compute.ensure_undefined, compute.plan_undefined, "node"),
    "power_on": Entry(power.power_on, power.planner(power.ON), "node"),
    "power_off": Entry(power.power_off, power.planner(power.OFF), "node"),
    "suspend_domain": Entry(power.suspend, power.planner(power.SUSPEND), "node"),
    "resume_domain": Entry(power.resume, power.planner(power.RESUME), "node"),
    "pause_domain": Entry(power.pause, power.planner(power.PAUSE), "node"),
    "unpause_domain": Entry(power.unpause, power.planner(power.UNPAUSE), "node"),
    "console_tail": Entry(console.console_tail, console.plan_console_tail, "node"),
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
    "resize_claim": Entry(capacity.resize_claim, capacity.plan_resize_claim, "control"),
    "undo_resize_claim": Entry(capacity.undo_resize_claim, capacity.plan_resize_claim, "control"),
    "resize_domain": Entry(resize.resize_domain, resize.plan_resize, "node"),
    "undo_resize_domain": Entry(resize.undo_resize_domain, resize.plan_resize, "node"),
    "grow_root_disk": Entry(resize.grow_root_disk, resize.plan_grow, "node"),
    "wait_guest_sized": Entry(resize.wait_guest_sized, lambda _n, _r: resize.Plan("wait", "guest reports the size"),
                              "node"),
    "snapshot_root_disk": Entry(snapshots.snapshot_root_disk, snapshots.plan_snapshot, "node"),
    "delete_snapshot_file": Entry(snapshots.delete_snapshot_file, snapshots.plan_delete_snapshot_file, "node"),
    "upload_image_file": Entry(snapshots.upload_image_file, snapshots.plan_upload, "node"),
    "delete_image_object": Entry(snapshots.delete_image_object, snapshots.plan_delete_object, "node"),
    "set_root_disk_aside": Entry(rebuild.set_root_disk_aside, rebuild.plan_aside, "node"),
    "restore_root_disk": Entry(rebuild.restore_root_disk, rebuild.plan_restore, "node"),
    "discard_new_root_disk": Entry(rebuild.discard_new_root_disk, rebuild.plan_restore, "node"),
    "ensure_boot_config": Entry(rebuild.ensure_boot_config, rebuild.plan_boot, "node"),
    "restore_boot_config": Entry(rebuild.restore_boot_config, rebuild.plan_boot, "node"),
    "delete_pre_rebuild_files": Entry(rebuild.delete_pre_rebuild_files, rebuild.plan_cleanup, "node"),
    "ensure_record": Entry(dns.ensure_record, dns.plan_ensure_record, "control"),
    "remove_record": Entry(dns.remove_record, dns.plan_remove_record, "control"),
    "remove_host_records": Entry(dns.remove_host_records, dns.plan_remove_host_records, "control"),
    "ensure_share_exports": Entry(shares.ensure_share_exports, shares.plan_share_exports, "control"),
    "revert_share_exports": Entry(shares.revert_share_exports, shares.plan_share_exports, "control"),
    "remove_share_exports": Entry(shares.remove_share_exports, shares.plan_share_exports, "control"),
    "ensure_share_mounts": Entry(shares.ensure_share_mounts, shares.plan_share_mounts, "node"),
    "revert_share_mounts": Entry(shares.revert_share_mounts, shares.plan_share_mounts, "node"),
    "apply_share_devices": Entry(shares.apply_share_devices, shares.plan_share_devices, "node"),
    "revert_share_devices": Entry(shares.revert_share_devices, shares.plan_share_devices, "node"),
    "wait_guest_mounts": Entry(shares.wait_guest_mounts, lambda _n, _r: shares.Plan("wait", "guest mounts"), "node"),
}
