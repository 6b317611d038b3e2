"""A host's ssh_keys are parsed and validated before anything is recorded
(operations.ssh_keys): a key is one line of a known type whose data is a key of that
type, RSA of 2048 bits at least; anything else is 422 naming what is wrong."""
import base64
import struct
import subprocess

import pytest

from operations.ssh_keys import check_public_key
from tests.fakes import record_only
from tests.unit.test_image_api import call


def keygen(tmp_path, kind: str, bits: int | None = None) -> str:
    path = tmp_path / f"id_{kind}_{bits}"
    argv = ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "ops@example", "-f", str(path)]
    subprocess.run(argv + (["-b", str(bits)] if bits else []), check=True)
    return path.with_suffix(".pub").read_text().strip()


def blob(*fields: bytes) -> str:
    return base64.b64encode(b"".join(struct.pack(">I", len(f)) + f for f in fields)).decode()


@pytest.mark.parametrize("kind, bits", [("ed25519", None), ("ecdsa", 256), ("ecdsa", 521), ("rsa", 2048)])
def test_keys_ssh_keygen_makes_are_taken_as_given(tmp_path, kind, bits):
    key = keygen(tmp_path, kind, bits)
    assert check_public_key(key) == key


@pytest.mark.parametrize("key, says", [
    ("ssh-ed25519 AAAA\nruncmd: [reboot]", "one line"),
    ("ssh-ed25519 AAAA\rx", "one line"),
    ("ssh-dss " + blob(b"ssh-dss", b"p", b"q", b"g", b"y"), "is not one of"),
    ("ssh-ed25519", "'<type> <base64> [comment]'"),
    ("ssh-ed25519 not*base64", "not base64"),
    ("ssh-ed25519 " + blob(b"ssh-rsa", b"\x01\x00\x01", b"\xff" * 256), "not a ssh-ed25519 key"),
    ("ssh-rsa " + blob(b"ssh-rsa", b"\x01\x00\x01", b"\xff" * 128), "at least 2048 bits; this one has 1024"),
    ("ssh-rsa " + base64.b64encode(b"\x00\x00\x00\x07ssh-rsa\x00\x00\xff").decode(), "not a ssh-rsa key"),
])
def test_a_key_that_is_not_a_good_public_key_says_why(key, says):
    with pytest.raises(ValueError, match=says.replace("[", r"\[").replace("]", r"\]")):
        check_public_key(key)


def test_an_allocation_with_a_bad_key_is_422_and_records_nothing(api, tmp_path):
    good = keygen(tmp_path, "ed25519")
    body = {"name": "web1", "env": "test", "image": "img", "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1},
            "ssh_keys": [good, good.replace(" ", "\n", 1)]}
    resp = call(api, "POST", "/v1/hosts", body)
    assert resp.status_code == 422, resp.json
    assert "one line" in resp.get_data(as_text=True)
    assert api.svc.hosts.list() == []


def test_an_allocation_with_good_keys_keeps_them_as_given(api, tmp_path):
    record_only(api.svc)
    keys = [keygen(tmp_path, "ed25519"), keygen(tmp_path, "rsa", 3072)]
    body = {"name": "web1", "env": "test", "image": "img", "flavor": {"vcpus": 1, "ram_mb": 256, "disk_gb": 1},
            "ssh_keys": keys}
    resp = call(api, "POST", "/v1/hosts", body)
    assert resp.status_code == 202, resp.json
    assert api.svc.hosts.get(resp.json["host"]["id"])["ssh_keys"] == keys
