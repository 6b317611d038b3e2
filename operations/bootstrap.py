"""The one place that wires real adapters to functions."""
from __future__ import annotations

import grp
from functools import lru_cache

from functions.node import Control, Node
from infra import config_drive, console, phone_home, qemu_img
from infra.db.backups import BackupStore
from infra.db.capacity import CapacityStore
from infra.db.console_sessions import ConsoleSessionStore
from infra.db.dns_records import DnsRecordStore
from infra.db.engine import Database, database
from infra.db.hosts import HostStore
from infra.db.hypervisors import HypervisorStore
from infra.db.image_lifecycle import ImageLifecycle
from infra.db.images import ImageStore
from infra.db.ipam import IpamStore
from infra.db.networks import NetworkStore, default_network
from infra.db.operations import OperationStore
from infra.db.outbox import OutboxStore
from infra.db.power_states import PowerStateStore
from infra.db.shares import ShareStore
from infra.db.tokens import TokenStore
from infra.db.ui_sessions import LoginLimiter, UiSessionStore
from infra.db.volumes import VolumeStore
from infra.dns import DnsClient
from infra.dns_names import reverse_zone
from infra.domain_xml import virtiofsd
from infra.errors import Invalid
from infra.image_source import ImageSource
from infra.libvirt_compute import LibvirtCompute
from infra.libvirt_storage import LibvirtStorage, PoolSpec
from infra.netlink import Netlink
from infra.nfs_exports import ExportsDir
from infra.queue import RqDispatcher, RqOperationQueue, redis_from_url
from infra.settings import Settings
from operations.services import Services


def node_context(settings: Settings, progress=None) -> Node:
    compute, objects = LibvirtCompute(settings.libvirt_uri, settings.libvirt_log_dir), object_store(settings)
    node = Node(
        name=settings.node, root=settings.storage_root, compute=compute, storage=LibvirtStorage.sharing(compute),
        images=ImageSource(objects, settings.max_image_virtual_gb << 30), netlink=Netlink(settings.stack_id),
        disk_images=qemu_img, consoles=console, config_drives=config_drive,
        virt_type=settings.virt_type, stack=settings.stack_id, boot_timeout=settings.guest_boot_timeout,
        shutdown_timeout=settings.shutdown_timeout, objects=objects, backup_workers=settings.backup_workers,
        volume_pool=volume_pool(settings), max_live_vcpus=settings.max_live_vcpus, qemu_gid=qemu_gid(settings),
        phone_homes=phone_home.Records(settings.phone_home_path()),
    )
    node.share_driver = share_driver(settings)
    if progress is not None:
        node.progress = progress
    return node


def share_driver(settings: Settings) -> str:
    """`auto`: virtiofs where this node has virtiofsd, else 9p."""
    if settings.share_driver != "auto":
        return settings.share_driver
    return "virtiofs" if virtiofsd() else "9p"


def qemu_gid(settings: Settings) -> int | None:
    """The id of the group QEMU runs as (libvirt's qemu.conf `group`), which owns the
    node's directories (functions.node.Node.make_dir); "": none, directories 0755."""
    if not settings.qemu_group:
        return None
    try:
        return grp.getgrnam(settings.qemu_group).gr_gid
    except KeyError:
        raise Invalid(f"HOSTFLOW_QEMU_GROUP={settings.qemu_group!r}: no such group; set it to the group QEMU "
                      "runs as (libvirt's qemu.conf `group`)", code="qemu_group_unknown") from None


def volume_pool(settings: Settings) -> PoolSpec | None:
    """`logical`: an LVM volume group (default `hostflow-<node>`) on the comma-separated
    HOSTFLOW_VOLUME_POOL_DEVICES; otherwise None, the default dir pool."""
    if settings.volume_pool_type != "logical":
        return None
    devices = tuple(d.strip() for d in settings.volume_pool_devices.split(",") if d.strip())
    return PoolSpec.logical(settings.volume_group or f"hostflow-{settings.node}", devices)


def object_store(settings: Settings):
    """The S3 client, or None where no object store is configured."""
    if not settings.s3_endpoint:
        return None
    return _object_store(settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key, settings.s3_region,
                         settings.s3_part_size)


@lru_cache(maxsize=4)
def _object_store(endpoint: str, access_key: str, secret_key: str, region: str, part_size: int):
    """One client per worker process: boto3 clients are thread-safe and slow to build."""
    from infra.object_store import ObjectStore  # here: boto3 loads only where an object store is configured

    return ObjectStore(endpoint, access_key, secret_key, region, part_size)


def control_context(settings: Settings) -> Control:
    db = database(settings.database_url)
    return Control(
        capacity=CapacityStore(db, settings.heartbeat_ttl), ipam=IpamStore(db), vm_network="vm",
        vm_subnet=settings.vm_subnet, vm_gateway=settings.vm_gateway, objects=object_store(settings),
        **dns_context(settings, db),
        exports=ExportsDir(settings.exports_path(), settings.exports_reload_command),
    )


def dns_context(settings: Settings, db: Database) -> dict:
    """The control plane's DNS: the server's client (TSIG-signed updates) and the ownership records."""
    zones = (settings.dns_zone, reverse_zone(settings.vm_subnet))
    client = DnsClient(settings.dns_server, settings.dns_port, zones, settings.dns_key_name,
                       settings.dns_tsig_secret, settings.dns_timeout)
    return {"dns": client, "dns_records": DnsRecordStore(db), "dns_zones": client.zones, "dns_ttl": settings.dns_ttl}


def network_store(settings: Settings, db: Database):
    """The network records, the default `vm` network (from settings) seeded among them."""
    store = NetworkStore(db)
    store.seed(default_network(settings))
    return store


def api_services(settings: Settings) -> Services:
    from flows.plan import Planner  # here, not above: the planner loads Prefect, a hypervisor worker never does

    db = database(settings.database_url)
    redis = redis_from_url(settings.redis_url)
    images = ImageStore(db)
    planner = Planner(control_context(settings), RqDispatcher(redis, step_timeout=20), settings, images)
    return Services(settings, redis, RqOperationQueue(redis), OperationStore(db), HostStore(db), images,
                    HypervisorStore(db), TokenStore(db), planner, VolumeStore(db), BackupStore(db), ShareStore(db),
                    ImageLifecycle(db), outbox=OutboxStore(db), networks=network_store(settings, db),
                    power=PowerStateStore(db),
                    console_sessions=ConsoleSessionStore(db),
                    ui_sessions=UiSessionStore(db),
                    ui_logins=LoginLimiter(db, settings.ui_login_max_failures, settings.ui_login_window_s))
