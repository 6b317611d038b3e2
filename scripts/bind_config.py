"""Write the local BIND's configuration, zones and TSIG key (idempotent).

Run by scripts/stack.sh as the 'bind-config' step of 'up':

    .venv/bin/python scripts/bind_config.py

Everything goes under $HOSTFLOW_STATE_DIR/bind (nothing under /etc):

    named.conf          options, the key, the two zones (rewritten when it changes)
    hostflow.tsig       the TSIG secret (base64), made once and kept
    <zone>.zone         a zone's initial data, written only when absent: BIND keeps
                        dynamic updates in <zone>.zone.jnl and folds them into the file
                        itself, so rewriting it would make the journal out of sync
    named.pid, session.key, managed keys: BIND's own files

Zones: the forward zone HOSTFLOW_DNS_ZONE (cloud.internal; environments' names such
as web1.test.cloud.internal simply live inside it) and the reverse zone of
HOSTFLOW_VM_SUBNET (10.213.0.0/24 -> 0.213.10.in-addr.arpa). The key may update only
the types hostflow manages: A and CNAME in the forward zone, PTR in the reverse one.
"""

from __future__ import annotations

import base64
import grp
import os
import pwd
import secrets
import sys
from pathlib import Path

from config_files import write_if_changed as write_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from infra.dns_names import reverse_zone  # noqa: E402 - the repository's own helper


def env(name: str, default: str) -> str:
    return os.environ.get(name) or default


STATE = Path(env("HOSTFLOW_STATE_DIR", "/var/lib/hostflow"))
ROOT = STATE / "bind"
ZONE = env("HOSTFLOW_DNS_ZONE", "cloud.internal").rstrip(".")
SUBNET = env("HOSTFLOW_VM_SUBNET", "10.213.0.0/24")
SERVER = env("HOSTFLOW_DNS_SERVER", "127.0.0.1")
PORT = int(env("HOSTFLOW_DNS_PORT", "5353"))
KEY_NAME = env("HOSTFLOW_DNS_KEY_NAME", "hostflow")
SECRET_FILE = ROOT / "hostflow.tsig"
USER = "bind"


def write_if_changed(path: Path, text: str, mode: int = 0o644) -> bool:
    return write_file(path, text, mode, tool="bind-config")


def tsig_secret() -> str:
    if SECRET_FILE.exists() and SECRET_FILE.read_text().strip():
        return SECRET_FILE.read_text().strip()
    secret = base64.b64encode(secrets.token_bytes(32)).decode()
    write_if_changed(SECRET_FILE, secret + "\n", 0o600)
    return secret


def zone_file(origin: str) -> str:
    glue = f"ns  IN A   {SERVER}\n" if origin == ZONE else ""
    return f"""\
; Written once by scripts/bind_config.py; BIND owns it from then on (dynamic updates).
$ORIGIN {origin}.
$TTL 300
@   IN SOA ns.{ZONE}. hostmaster.{ZONE}. ( 1 3600 600 86400 300 )
@   IN NS  ns.{ZONE}.
{glue}"""


def named_conf(secret: str, reverse: str) -> str:
    return f"""\
// Written by scripts/bind_config.py; regenerated on every 'scripts/stack.sh up'.
options {{
    directory "{ROOT}";
    pid-file "{ROOT}/named.pid";
    session-keyfile "{ROOT}/session.key";
    managed-keys-directory "{ROOT}";
    listen-on port {PORT} {{ {SERVER}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    allow-query {{ 127.0.0.0/8; }};
    allow-transfer {{ none; }};
    notify no;
    dnssec-validation no;
}};

controls {{ }};

key "{KEY_NAME}" {{
    algorithm hmac-sha256;
    secret "{secret}";
}};

zone "{ZONE}" {{
    type primary;
    file "{ZONE}.zone";
    update-policy {{ grant {KEY_NAME} zonesub A CNAME; }};
}};

zone "{reverse}" {{
    type primary;
    file "{reverse}.zone";
    update-policy {{ grant {KEY_NAME} zonesub PTR; }};
}};
"""


def give_to_bind(path: Path) -> None:
    """named drops to the `bind` user after reading its config: it must write its
    journals, pid and key files here."""
    try:
        uid, gid = pwd.getpwnam(USER).pw_uid, grp.getgrnam(USER).gr_gid
    except KeyError:
        return
    for p in (path, *path.iterdir()):
        if p != SECRET_FILE:  # root's alone: the secret is also in named.conf, read before the drop
            os.chown(p, uid, gid)


def main() -> int:
    ROOT.mkdir(parents=True, exist_ok=True)
    ROOT.chmod(0o750)
    reverse = reverse_zone(SUBNET)
    secret = tsig_secret()
    write_if_changed(ROOT / "named.conf", named_conf(secret, reverse), 0o640)
    for origin in (ZONE, reverse):
        path = ROOT / f"{origin}.zone"
        if not path.exists():
            write_if_changed(path, zone_file(origin))
    give_to_bind(ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
