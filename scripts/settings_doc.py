#!/usr/bin/env python3
"""Renders docs/settings.md from the settings object, so the reference cannot drift.

    python scripts/settings_doc.py > docs/settings.md     write it
    python scripts/settings_doc.py --check                exit 1 if docs/settings.md differs

(`python -m scripts.settings_doc` from the repository root works the same.)

One row per field of `infra.settings.Settings`: the environment variable, the type, the
default and a description. The description is the field's trailing `# comment` in
infra/settings.py, then what EXTRA below adds (what the README documented about fields
that carry no comment, and what the local stack sets).
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import io
import re
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra import settings as settings_module  # noqa: E402

DOC = ROOT / "docs" / "settings.md"
SOURCE = Path(settings_module.__file__)
MIB = 1 << 20

# Descriptions kept here, appended to the field's own comment (or standing alone when it
# has none). Keep them true; say what the local stack (scripts/stack.sh) sets, where it
# sets something other than the default.
EXTRA: dict[str, str] = {
    "state_dir": "SQLite database, node storage roots, image files, Redis and Prefect data; QEMU runs as "
                 "`libvirt-qemu`, which must be able to traverse every directory on a disk's path",
    "database_url": "the system of record; \"\": SQLite at `<state_dir>/hostflow.db`; "
                    "`postgresql+psycopg://...` for several nodes",
    "redis_url": "RQ's queues and results, the workers' liveness keys",
    "prefect_api_url": "the Prefect server every process reports its flow runs to",
    "prefect_ui_projects": "a deployment run's `project` parameter must be one of them, else it fails "
                           "`project_not_allowed` having recorded nothing; the stack sets `default`",
    "libvirt_uri": "the libvirt connection of the hypervisor workers",
    "virt_type": "`kvm` in production; the stack sets `qemu` (TCG), since KVM guests hang on the machine it "
                 "was built on",
    "images_dir": "None: `<state_dir>/images` (the test image is built into `<state_dir>/images/test`)",
    "node": "the hypervisor a worker serves; set by `python -m workers.process --role hv --node <node>`",
    "storage_root": "a hypervisor's own storage root (its image cache, snapshot copies); "
                    "None: `<state_dir>/nodes/<node>`",
    "qemu_group": "the group QEMU runs as (libvirt's qemu.conf `group`): a node's directories are "
                  "`root:<group>` `2750`, its disk and image files `0640`; \"\": directories `0755`",
    "cpu_allocation_ratio": "a hypervisor registers its vCPUs (from libvirt's node info) times this",
    "ram_allocation_ratio": "a hypervisor registers its RAM times this",
    "disk_allocation_ratio": "a hypervisor registers its disk times this",
    "max_vcpus": "a request's vCPUs must be in `1..max_vcpus` (else `422`)",
    "max_ram_mb": "a request's RAM must be in `1..max_ram_mb` (else `422`)",
    "max_disk_gb": "a request's disk must be in `1..max_disk_gb` (else `422`)",
    "max_volume_gb": "the largest volume a request may ask for",
    "max_live_vcpus": "the domain definition's maximum vCPUs: a resize up to it is hot-plugged, live",
    "resize_auto_confirm_s": "a resize left in `verify_resize` longer than this is confirmed by the control "
                             "worker's `resize_confirm` sweep; 0: never",
    "upload_stale_s": "an image left `saving` longer than this turns `killed` (`upload_interrupted`) at the "
                      "`upload_reaper` sweep, its unfinished multipart upload aborted",
    "sweep_interval_s": "the sweeps and what each does: [operations.md](operations.md#workers-and-sweeps); "
                        "`resize_confirm` runs sooner when `resize_auto_confirm_s` is shorter",
    "sweep_intervals": "an unknown name or a value that is not a whole number of seconds is logged by the "
                       "control worker and ignored",
    "trusted_proxies": "from them, `X-Forwarded-For` names the client the dashboard's login limit counts "
                       "([dashboard.md](dashboard.md)); \"\": none, the header is never read",
    "volume_pool_type": "`dir`: a directory pool per node (`hostflow-<node>`); `logical`: an LVM volume group",
    "volume_pool_devices": "`logical` pools: comma-separated block devices libvirt builds the volume group on",
    "volume_group": "`logical` pools: the volume group; \"\": `hostflow-<node>`",
    "vm_bridge": "the default `vm` network's bridge (the network is seeded from these when the API starts)",
    "vm_subnet": "the default `vm` network's subnet",
    "vm_gateway": "the default `vm` network's gateway",
    "phone_home_url": "the stack serves it from its gateway namespace: `http://<vm_gateway>:8775`",
    "dns_zone": "the managed forward zone; a host's own name is `<name>.<env>.<zone>`",
    "env_traffic_classes": "`*=` for the rest; the stack sets `e2enet=vm,storage`",
    "s3_endpoint": "object storage (S3 API) endpoint, reached only through boto3 (AWS S3, Ceph RGW, MinIO, "
                   "Swift's s3api)",
    "s3_access_key": "object storage access key (a hypervisor node's own, which reads images and writes "
                     "snapshots and backups only: docs/operations.md#object-storage-users)",
    "s3_secret_key": "object storage secret key",
    "s3_region": "object storage region",
    "image_bucket": "the bucket holding image files: uploaded (`images/<image id>`) and registered (`<sha512>`)",
    "snapshot_bucket": "the bucket holding host snapshots (`images/<image id>`)",
    "max_image_virtual_gb": "an image of a larger virtual size is refused (`virtual_size_too_large`); an "
                            "upload is cut off past 1.125 times that many bytes",
    "image_cache_clean_interval": "0: never",
    "backup_bucket": "the bucket holding volume backups",
    "backup_chunk_size": "bytes per backup chunk",
    "backup_workers": "threads copying a backup's or a restore's chunks",
    "guest_boot_timeout": "seconds a step waits for the guest to report (e.g. `wait_guest_up`)",
    "shutdown_timeout": "seconds a clean stop waits for the domain to shut off",
    "stack_id": "marks what this stack creates: network interfaces carry the alias `hostflow:<stack id>:net`",
    "dns_port": "the authoritative server's port",
    "dns_tsig_secret": "base64 TSIG secret (hmac-sha256); the stack exports its key's",
    "dns_timeout": "seconds before a DNS exchange fails `dns_unavailable`",
    "dns_ttl": "the TTL of records hostflow writes when a request gives none",
    "jira_api_token": "with `jira_user`: basic auth for Jira's REST API",
    "servicenow_password": "with `servicenow_user`: basic auth for the Table API",
    "servicenow_table": "the table of request items",
    "servicenow_mapping": "JSON, or a file holding it; \"\": the built-in one",
    "chat_users": "`\"*\"` is every project; the stack links the tests' users",
    "slack_signing_secret": "the stack makes one once in its state dir",
    "mattermost_token": "the stack makes one once in its state dir",
    "approval_envs": "the stack sets `prod`",
    "approval_max_vcpus": "the stack sets 4",
    "notify_backoff_max_s": "the cap of the doubling retry interval of report-backs",
    "notify_timeout": "seconds one report-back request may take",
    "webhook_secrets": "HMAC secret of a signed source (`generic`, `jira`), or `user:password` / token for "
                       "ServiceNow; the stack makes them once in its state dir",
}

HEADER = """# Settings

<!-- Generated by scripts/settings_doc.py from infra/settings.py. Do not edit by hand:
     run `python scripts/settings_doc.py > docs/settings.md`; the unit tests check it. -->

`infra/settings.py`:

{docstring}

Every field of `Settings` is read from `{prefix}<FIELD>` (the field's name upper-cased),
except the per-source ones, read from every variable with their prefix. A path field takes
a path, an `int` or `float` field a number, any other a string. A field not set keeps the
default below. The local stack (`scripts/stack.sh`) exports its own values for some of them
and writes them to `.hostflow/openrc`: see [operations.md](operations.md). Variables that
only the scripts, the CLI or the tests read are described where they are used
([operations.md](operations.md), [cli.md](cli.md), [testing.md](testing.md)).

| variable | type | default | description |
|---|---|---|---|
"""


def field_comments(source: str) -> dict[str, str]:
    """The trailing `# comment` of each field line of class Settings, by field name."""
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings")
    by_line: dict[int, str] = {}
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                by_line[line] = node.target.id
    comments: dict[str, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT and tok.start[0] in by_line:
            comments[by_line[tok.start[0]]] = tok.string.lstrip("#").strip()
    return comments


def variable(name: str) -> str:
    prefix = settings_module.PER_SOURCE.get(name)
    return f"{prefix}<SOURCE>" if prefix else settings_module.PREFIX + name.upper()


def type_text(f: dataclasses.Field) -> str:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    return "per source" if f.name in settings_module.PER_SOURCE else kind


def default_text(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:
        return ""
    if f.name in settings_module.PER_SOURCE:
        return "none"
    if value is None:
        return "None"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    if isinstance(value, int) and not isinstance(value, bool) and value >= MIB and value % MIB == 0:
        return f"`{value}` ({value // MIB} MiB)"
    return f"`{value}`"


def description(name: str, comments: dict[str, str]) -> str:
    parts = [p for p in (comments.get(name, ""), EXTRA.get(name, "")) if p]
    return "; ".join(parts)


# `<word>` outside a code span would be taken for an HTML tag: such tokens go in backticks.
ANGLED = re.compile(r"(?<![\w`])([\w./:-]*<[\w.-]+>[\w./:-]*)")


def cell(text: str) -> str:
    parts = text.split("`")
    parts[::2] = [ANGLED.sub(r"`\1`", p) for p in parts[::2]]
    return "`".join(parts).replace("|", "\\|")


def render() -> str:
    comments = field_comments(SOURCE.read_text())
    docstring = "\n".join("> " + line if line else ">" for line in (settings_module.__doc__ or "").strip().splitlines())
    out = [HEADER.format(docstring=docstring, prefix=settings_module.PREFIX)]
    for f in dataclasses.fields(settings_module.Settings):
        row = (f"`{variable(f.name)}`", type_text(f), default_text(f), description(f.name, comments))
        out.append("| " + " | ".join(cell(c) for c in row) + " |\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render docs/settings.md from infra/settings.py.")
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/settings.md is not what would be written")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = DOC.read_text() if DOC.exists() else ""
        if current != text:
            print(f"{DOC.relative_to(ROOT)} is stale: run python scripts/settings_doc.py > docs/settings.md",
                  file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
