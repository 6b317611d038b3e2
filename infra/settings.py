"""One settings object: environment variables prefixed HOSTFLOW_, optionally a file.

The file (HOSTFLOW_SETTINGS_FILE) holds KEY=VALUE lines with the same names; the
environment wins over the file. Nothing is read at import time.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

PREFIX = "HOSTFLOW_"
PER_SOURCE = {"webhook_secrets": PREFIX + "WEBHOOK_SECRET_", "webhook_auth": PREFIX + "WEBHOOK_AUTH_"}


def _read_file(path: str) -> dict[str, str]:
    values = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


@dataclass(frozen=True)
class Settings:
    state_dir: Path = Path("/var/lib/hostflow")
    database_url: str = ""
    redis_url: str = "redis://127.0.0.1:6390/0"
    prefect_api_url: str = "http://127.0.0.1:4200/api"
    prefect_ui_identity: str = ""  # who answers through the Prefect UI's resume form (an approver); "": nobody
    prefect_ui_url: str = ""  # flow run links on the dashboard; "": prefect_api_url without /api
    prefect_ui_projects: str = ""  # comma-separated projects a Prefect UI run may act in; "*": all; "": none
    libvirt_uri: str = "qemu:///system"
    libvirt_log_dir: Path | None = Path("/var/log/libvirt/qemu")
    virt_type: str = "kvm"
    images_dir: Path | None = None
    node: str = ""
    storage_root: Path | None = None
    qemu_group: str = "libvirt-qemu"
    cpu_allocation_ratio: float = 4.0
    ram_allocation_ratio: float = 1.0
    disk_allocation_ratio: float = 1.0
    max_vcpus: int = 16
    max_ram_mb: int = 65536
    max_disk_gb: int = 2048
    max_volume_gb: int = 1024
    max_live_vcpus: int = 4
    resize_auto_confirm_s: int = 86400
    upload_stale_s: int = 1800
    sweep_interval_s: int = 60  # seconds between two runs of each of the control worker's sweeps
    drift_object_grace_s: int = 86400  # an object no record names is an orphan only past this age
    sweep_intervals: str = ""  # per sweep, overriding sweep_interval_s: `reports=30,upload_reaper=300`; 0: off
    volume_pool_type: str = "dir"
    volume_pool_devices: str = ""
    volume_group: str = ""
    vm_bridge: str = "hfbr-vm"
    vm_subnet: str = "10.213.0.0/24"
    vm_gateway: str = "10.213.0.1"
    dns_zone: str = "cloud.internal"
    env_traffic_classes: str = ""  # "test=vm,share;prod=vm,storage,share"; unlisted envs: vm
    s3_endpoint: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_region: str = "us-east-1"
    s3_part_size: int = 8 << 20
    image_bucket: str = "hostflow-images"
    snapshot_bucket: str = "hostflow-snapshots"
    max_image_virtual_gb: int = 64
    image_cache_max_age: int = 86400  # s an image cache entry may stay unused
    image_cache_clean_interval: int = 3600  # s between cache cleanups on a hypervisor
    backup_bucket: str = "hostflow-backups"
    backup_chunk_size: int = 32 << 20
    backup_workers: int = 4
    guest_boot_timeout: float = 120.0
    shutdown_timeout: float = 10.0
    stop_timeout: float = 60.0  # seconds the stop and reboot actions wait for a clean shutdown, then force it
    power_sync_interval: int = 30  # seconds between a node's complete power-state reports; 0: none, nor events
    step_timeout: float = 600.0
    heartbeat_ttl: int = 30
    worker_ttl: int = 15
    stack_id: str = "hostflow"
    dns_server: str = "127.0.0.1"  # the authoritative server taking RFC 2136 updates
    dns_port: int = 5353
    dns_key_name: str = "hostflow"  # TSIG, hmac-sha256
    dns_tsig_secret: str = ""
    dns_timeout: float = 3.0
    dns_ttl: int = 300
    share_roots: str = ""  # comma-separated dirs a share's source must lie under; "": <state_dir>/shares
    share_driver: str = "auto"  # passthrough shares: 9p, virtiofs, or auto (virtiofs where virtiofsd exists)
    exports_dir: Path | None = None  # NFS export rules, one file per host; None: <state_dir>/exports.d
    exports_reload_command: str = ""  # run after an export file changes (e.g. "exportfs -ra"); "": none
    nfs_server: str = ""  # the NFS server's address on the share network, as guests mount it
    phone_home_url: str = ""  # base URL guests post to at the end of each boot (readiness phone_home); "": none
    phone_home_dir: Path | None = None  # where that endpoint's records are; None: <state_dir>/phone-home
    ui_session_secret: str = ""  # signs the dashboard's cookie; "": <state_dir>/ui-session-secret
    ui_session_idle_s: int = 1800  # a dashboard session unused this long ends
    ui_session_max_s: int = 43200  # and every session ends this long after its login
    ui_login_max_failures: int = 5  # failed dashboard logins per address (IPv6: /64) per window; then 429; 0: no limit
    ui_login_window_s: int = 300  # the window of ui_login_max_failures, in seconds
    trusted_proxies: str = ""  # comma-separated addresses/networks of reverse proxies before the API
    api_url: str = "http://127.0.0.1:8770"  # the API as people reach it: links in ticket reports
    jira_url: str = ""  # Jira's base URL for comments; "": the one in the issue's own `self`
    jira_user: str = ""  # basic auth user:api-token for Jira's REST API
    jira_api_token: str = ""
    source_projects: str = ""  # JSON {"jira": ["default"], "generic": ["*"]}: each webhook source's projects
    jira_mapping: str = ""  # JSON, or a file holding it: webhooks/tickets/mapping.py; "": the built-in one
    servicenow_url: str = ""  # the instance, e.g. https://acme.service-now.com
    servicenow_user: str = ""  # basic auth for the Table API
    servicenow_password: str = ""
    servicenow_table: str = "sc_req_item"
    servicenow_mapping: str = ""
    chat_users: str = ""  # JSON {"slack:<user_id>": {"role": "operator", "projects": ["default"]}, ...}
    slack_signing_secret: str = ""  # the Slack app's signing secret (v0 signatures)
    mattermost_token: str = ""  # the Mattermost slash command's token
    chat_response_hosts: str = "hooks.slack.com"  # hosts a response_url may name (https only)
    chat_response_loopback: bool = False  # tests and the local stack: http://127.0.0.1 (or localhost) too
    chat_response_ttl_s: int = 1800  # a response_url takes posts this long after the command (Slack: 30 min)
    chat_progress_posts: int = 3  # progress posts per chat command at most (Slack takes 5 per response_url)
    chat_progress_interval_s: float = 5.0  # at least this long between two progress posts
    approval_envs: str = ""  # comma-separated environments whose allocations wait for approval, e.g. "prod"
    approval_max_vcpus: int = 0  # an allocation or resize above this many vCPUs waits for approval; 0: none
    approval_reclaim_age_days: float = 0  # reclaiming a host older than this waits for approval; 0: none
    approval_timeout_s: int = 86400  # an approval not given by then ends the operation `rejected`
    approvers: str = ""  # comma-separated token names / chat users (slack:U123) who may approve, besides admins
    notify_backoff_s: float = 30.0  # first retry of a failed report-back; doubles per attempt
    notify_backoff_max_s: float = 3600.0
    notify_timeout: float = 10.0
    max_request_bytes: int = 1 << 20  # a body's limit, refused (413) before it is read; image uploads stream past it
    max_ticket_webhook_bytes: int = 1 << 20  # a Jira or ServiceNow delivery's limit, at most max_request_bytes
    max_chat_webhook_bytes: int = 64 << 10  # Slack's and Mattermost's commands and clicks, at most max_request_bytes
    max_generic_webhook_bytes: int = 64 << 10  # a /v1/webhooks/generic delivery's limit, at most max_request_bytes
    webhook_secrets: dict = field(default_factory=dict)  # per source: HOSTFLOW_WEBHOOK_SECRET_<SOURCE>
    webhook_auth: dict = field(default_factory=dict)  # per source: HOSTFLOW_WEBHOOK_AUTH_<SOURCE>, basic|bearer

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        raw = _read_file(env[PREFIX + "SETTINGS_FILE"]) if env.get(PREFIX + "SETTINGS_FILE") else {}
        raw.update({k: v for k, v in env.items() if k.startswith(PREFIX)})
        values = {}
        for f in fields(cls):
            key = PREFIX + f.name.upper()
            if key in raw and f.name not in PER_SOURCE:
                values[f.name] = _convert(f.type, raw[key])
        for name, prefix in PER_SOURCE.items():
            values[name] = {k[len(prefix):].lower(): v for k, v in raw.items() if k.startswith(prefix)}
        return cls(**values).resolved()

    def resolved(self) -> Settings:
        state = Path(self.state_dir)
        updates = {"state_dir": state}
        if not self.database_url and not self.node:
            # a hypervisor node (HOSTFLOW_NODE) has no database: no fallback for it, and
            # infra.db.engine.database refuses the empty URL (database_url_unset)
            updates["database_url"] = f"sqlite:///{state / 'hostflow.db'}"
        if self.images_dir is None:
            updates["images_dir"] = state / "images"
        if self.storage_root is None and self.node:
            updates["storage_root"] = state / "nodes" / self.node
        return _replace(self, **updates)

    def traffic_classes(self, env: str) -> list[str]:
        """The NICs a host of this environment gets, one per traffic class, `vm` first."""
        table = dict(item.split("=", 1) for item in self.env_traffic_classes.replace(" ", "").split(";") if "=" in item)
        classes = [c for c in table.get(env, table.get("*", "vm")).split(",") if c]
        return sorted(dict.fromkeys(classes), key=lambda c: c != "vm")

    def share_root_paths(self) -> list[Path]:
        roots = [Path(r.strip()) for r in self.share_roots.split(",") if r.strip()]
        return roots or [Path(self.state_dir) / "shares"]

    def phone_home_path(self) -> Path:
        return Path(self.phone_home_dir) if self.phone_home_dir else Path(self.state_dir) / "phone-home"

    def exports_path(self) -> Path:
        return Path(self.exports_dir) if self.exports_dir else Path(self.state_dir) / "exports.d"

    def with_node(self, node: str) -> Settings:
        return _replace(self, node=node, storage_root=Path(self.state_dir) / "nodes" / node)


def _replace(settings: Settings, **changes) -> Settings:
    return replace(settings, **changes)


def _convert(type_name, value: str):
    kind = str(type_name)
    if "Path" in kind:
        return Path(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return _flag(value)
    return value


def _flag(value: str) -> bool:
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"{value!r} is not a yes/no value (1, true, yes, on; 0, false, no, off)")
