"""What a host's NoCloud config drive holds, the way Nova's config drive hands it to
cloud-init:
- meta-data: instance-id (the host id, so a rebuild keeps per-instance state such as
  SSH host keys), local-hostname, and the SSH keys as public-keys;
- user-data: the user's own, passed through byte for byte (cloud-config, a script,
  gzip'd, MIME multipart), or nothing;
- vendor-data: hostflow's cloud-config (the fqdn, /etc/hosts, share mounts, the
  phone-home script), which the user's user-data overrides key by key (a user-data
  with its own `write_files` drops the phone-home script: cloud-init's merge);
- network-config: version 2, every NIC matched by its MAC.
Pure functions; every YAML document is built with PyYAML."""
from __future__ import annotations

import base64

import yaml

from functions import share_config


def dump(document: dict) -> bytes:
    return yaml.safe_dump(document, default_flow_style=False, sort_keys=False, width=1 << 16).encode()


def meta_data(req: dict) -> dict:
    meta = {"instance-id": req["host_id"], "local-hostname": req["hostname"]}
    if req.get("ssh_keys"):
        meta["public-keys"] = list(req["ssh_keys"])
    return meta


def user_data(req: dict) -> bytes:
    encoded = req.get("user_data")
    return base64.b64decode(encoded) if encoded else b""


PHONE_HOME_SCRIPT = "/var/lib/cloud/scripts/per-boot/hostflow-phone-home"


def vendor_data(req: dict, share_driver: str) -> dict:
    config: dict = {}
    if req.get("fqdn"):
        config.update(hostname=req["hostname"], fqdn=req["fqdn"].rstrip("."), manage_etc_hosts=True)
    if req.get("shares"):
        config["mounts"] = share_config.mounts(req["shares"], share_driver, req.get("nfs_server", ""))
    if req.get("phone_home_url"):
        config["write_files"] = [{"path": PHONE_HOME_SCRIPT, "permissions": "0755",
                                  "content": phone_home_script(req["phone_home_url"], req["host_id"])}]
    return config


def phone_home_script(url: str, host_id: str) -> str:
    """Run by cloud-init at the end of every boot (its per-boot scripts): posts the host
    name and this boot's id to `url`, trying for a minute. Python, which every image
    with cloud-init has."""
    return (
        "#!/usr/bin/python3\n"
        "# hostflow: tell the control plane that this boot has finished\n"
        "import socket, time, urllib.parse, urllib.request\n"
        "with open('/proc/sys/kernel/random/boot_id') as f:\n"
        "    boot_id = f.read().strip()\n"
        "body = urllib.parse.urlencode({'hostname': socket.gethostname(), 'fqdn': socket.getfqdn(),\n"
        f"                               'instance_id': {host_id!r}, 'boot_id': boot_id}}).encode()\n"
        "for attempt in range(30):\n"
        "    try:\n"
        f"        urllib.request.urlopen({url!r}, body, timeout=5).read()\n"
        "        break\n"
        "    except OSError:\n"
        "        time.sleep(2)\n"
    )


def cloud_config(config: dict) -> bytes:
    return b"#cloud-config\n" + dump(config) if config else b""


def with_mounts(vendor: bytes, entries: list[list[str]]) -> bytes:
    """vendor-data with its `mounts` replaced by these entries (none: no `mounts`)."""
    config = yaml.safe_load(vendor) if vendor.strip() else {}
    config.pop("mounts", None)
    if entries:
        config["mounts"] = entries
    return cloud_config(config)


def network_config(nics: list[dict]) -> dict:
    ethernets = {}
    for i, nic in enumerate(nics):
        eth: dict = {"match": {"macaddress": nic["mac"]}, "set-name": f"eth{i}", "addresses": [nic["cidr"]]}
        if nic.get("gateway"):
            eth["gateway4"] = nic["gateway"]
        if nic.get("mtu"):
            eth["mtu"] = nic["mtu"]
        ethernets[f"nic{i}"] = eth
    return {"version": 2, "ethernets": ethernets}


def contents(req: dict, share_driver: str = "9p") -> dict[str, bytes]:
    """req: {"host_id", "hostname", "fqdn"?, "nics", "ssh_keys"?, "user_data"? (base64),
    "shares"?, "nfs_server"?, "phone_home_url"?}"""
    return {"meta-data": dump(meta_data(req)), "user-data": user_data(req),
            "vendor-data": cloud_config(vendor_data(req, share_driver)),
            "network-config": dump(network_config(req["nics"]))}
