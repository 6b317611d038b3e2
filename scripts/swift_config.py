"""Write the local Swift all-in-one's configuration and rings (idempotent).

Run with the Swift virtualenv's python (scripts/stack.sh does, as the
'swift-config' step of 'up'):

    .venv-swift/bin/python scripts/swift_config.py

Everything goes under $HOSTFLOW_STATE_DIR/swift:

    etc/   swift.conf, proxy-server.conf, {account,container,object}-server.conf,
           object-expirer.conf (scripts/swift_daemon.py runs the expirer with it),
           {account,container,object}.ring.gz and .builder
    data/  the devices directory, one device 'd1' (mount_check = false)

Nothing is written under /etc: every server config sets swift_dir = etc/, and
Swift's run_wsgi then reads swift.conf (with swift_hash_path_suffix) and the
rings from there instead of /etc/swift.

A file is rewritten only when its content changes; the hash path suffix is made
once and kept (changing it would orphan every stored object); a ring is rebuilt
only when its device (ip, port, device name) differs from the one wanted. With
one device and one replica, every partition lives on that device, so a rebuilt
ring still finds the data.

Ports come from HOSTFLOW_SWIFT_{PROXY,ACCOUNT,CONTAINER,OBJECT}_PORT and
HOSTFLOW_SWIFT_MEMCACHE (host:port); scripts/stack.sh sets them.
"""

from __future__ import annotations

import configparser
import os
import secrets
import sys
from pathlib import Path

from config_files import write_if_changed as write_file
from swift.common.ring import RingBuilder, RingData

PART_POWER = 8
REPLICAS = 1
MIN_PART_HOURS = 1
DEVICE = "d1"
HOST = "127.0.0.1"


def env(name: str, default: str) -> str:
    return os.environ.get(name) or default


STATE = Path(env("HOSTFLOW_STATE_DIR", "/var/lib/hostflow"))
ROOT = STATE / "swift"
ETC = ROOT / "etc"
DATA = ROOT / "data"
CACHE = ROOT / "cache"  # recon cache (unused by the servers we run, but must exist)

PORTS = {
    "proxy": int(env("HOSTFLOW_SWIFT_PROXY_PORT", "8780")),
    "account": int(env("HOSTFLOW_SWIFT_ACCOUNT_PORT", "8781")),
    "container": int(env("HOSTFLOW_SWIFT_CONTAINER_PORT", "8782")),
    "object": int(env("HOSTFLOW_SWIFT_OBJECT_PORT", "8783")),
}
MEMCACHE = env("HOSTFLOW_SWIFT_MEMCACHE", "127.0.0.1:11222")
S3_REGION = env("HOSTFLOW_S3_REGION", "us-east-1")


def write_if_changed(path: Path, text: str, mode: int = 0o644) -> bool:
    return write_file(path, text, mode, tool="swift-config")


def hash_suffix() -> str:
    """The existing swift_hash_path_suffix, or a new random one."""
    conf = configparser.ConfigParser()
    conf.read(ETC / "swift.conf")
    if conf.has_option("swift-hash", "swift_hash_path_suffix"):
        return conf.get("swift-hash", "swift_hash_path_suffix")
    return secrets.token_hex(16)


def swift_conf() -> str:
    return f"""\
# Written by scripts/swift_config.py. The suffix must never change: it is part of
# every object's on-disk path.
[swift-hash]
swift_hash_path_suffix = {hash_suffix()}

[storage-policy:0]
name = Policy-0
default = yes
"""


def common(kind: str) -> str:
    return f"""\
# Written by scripts/swift_config.py; regenerated on every 'scripts/stack.sh up'.
[DEFAULT]
bind_ip = {HOST}
bind_port = {PORTS[kind]}
# One process (no forked workers), so scripts/stack.sh stops it by its pid.
workers = 0
user = root
swift_dir = {ETC}
devices = {DATA}
mount_check = false
disable_fallocate = true
recon_cache_path = {CACHE}
log_name = swift-{kind}
log_level = INFO
"""


def storage_server_conf(kind: str) -> str:
    return common(kind) + f"""
[pipeline:main]
pipeline = healthcheck recon {kind}-server

[app:{kind}-server]
use = egg:swift#{kind}

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:recon]
use = egg:swift#recon

[{kind}-replicator]

[{kind}-auditor]

[{kind}-updater]
# only the container updater runs (scripts/swift_daemon.py): it lists the expirer's queue
interval = 15
"""


PROXY_PIPELINE = " ".join([
    "catch_errors", "gatekeeper", "healthcheck", "proxy-logging", "cache", "listing_formats",
    "s3api", "tempauth", "copy", "slo", "dlo", "versioned_writes", "proxy-logging", "proxy-server",
])


def node_user() -> str:
    """`test:node`, the hypervisor workers' user (key: HOSTFLOW_SWIFT_NODE_KEY): no admin
    of the account, so it reaches only what the containers' ACLs grant it
    (scripts/s3_buckets.py)."""
    key = os.environ.get("HOSTFLOW_SWIFT_NODE_KEY", "")
    return f"user_test_node = {key}\n" if key else ""


def proxy_conf() -> str:
    return common("proxy") + f"""
[pipeline:main]
# s3api before the auth middleware; slo after s3api (S3 multipart uploads are
# stored as static large objects).
pipeline = {PROXY_PIPELINE}

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:cache]
use = egg:swift#memcache
memcache_servers = {MEMCACHE}

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:s3api]
use = egg:swift#s3api
location = {S3_REGION}

[filter:tempauth]
use = egg:swift#tempauth
# S3 access key 'test:tester', secret key 'testing'.
user_admin_admin = admin .admin .reseller_admin
user_test_tester = testing .admin
{node_user()}
[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo

[filter:versioned_writes]
use = egg:swift#versioned_writes
"""


def expirer_conf() -> str:
    """The object expirer, in its own file, which is also its internal client's pipeline
    (scripts/swift_daemon.py says why it runs). SLO's synchronous delete is no way out:
    s3api answers it 204 even when the delete was refused."""
    return f"""\
# Written by scripts/swift_config.py; regenerated on every 'scripts/stack.sh up'.
[DEFAULT]
swift_dir = {ETC}
user = root
log_name = swift-expirer
log_level = INFO
recon_cache_path = {CACHE}

[object-expirer]
interval = 5

[pipeline:main]
pipeline = catch_errors proxy-logging cache proxy-server

[app:proxy-server]
use = egg:swift#proxy

[filter:cache]
use = egg:swift#memcache
memcache_servers = {MEMCACHE}

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:proxy-logging]
use = egg:swift#proxy_logging
"""


def ensure_ring(kind: str) -> None:
    ring_file = ETC / f"{kind}.ring.gz"
    builder_file = ETC / f"{kind}.builder"
    want = {"ip": HOST, "port": PORTS[kind], "device": DEVICE}
    if ring_file.exists():
        try:
            devs = [d for d in RingData.load(str(ring_file)).devs if d]
        except Exception as exc:  # an unreadable ring is rebuilt
            print(f"swift-config: {ring_file} unreadable ({exc}), rebuilding")
            devs = []
        if len(devs) == 1 and all(devs[0][k] == v for k, v in want.items()):
            return
    builder = RingBuilder(PART_POWER, REPLICAS, MIN_PART_HOURS)
    builder.add_dev({"id": 0, "region": 1, "zone": 1, "weight": 100.0,
                     "replication_ip": HOST, "replication_port": PORTS[kind],
                     "meta": "", **want})
    builder.rebalance()
    builder.save(str(builder_file))
    builder.get_ring().save(str(ring_file))
    print(f"swift-config: built {ring_file} ({2 ** PART_POWER} partitions, {REPLICAS} replica)")


def main() -> int:
    for d in (ETC, DATA / DEVICE, CACHE):
        d.mkdir(parents=True, exist_ok=True)
    write_if_changed(ETC / "swift.conf", swift_conf(), 0o600)
    write_if_changed(ETC / "proxy-server.conf", proxy_conf(), 0o600)
    write_if_changed(ETC / "object-expirer.conf", expirer_conf())
    for kind in ("account", "container", "object"):
        write_if_changed(ETC / f"{kind}-server.conf", storage_server_conf(kind))
        ensure_ring(kind)
    return 0


if __name__ == "__main__":
    sys.exit(main())
