"""An SSH public key as a host's `ssh_keys` take it: one line, `<type> <base64> [comment]`,
of a type a current OpenSSH accepts, whose encoded blob really is a key of that type
(RSA: 2048 bits at least). A key reaches the guest's cloud-init data; a newline or any
other control character in it could write more than a key there, so it is refused."""
from __future__ import annotations

import base64
import binascii
import struct

KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa")
MIN_RSA_BITS = 2048
MAX_LENGTH = 8192


def check_public_key(text: str) -> str:
    """The key, as given; ValueError saying what is wrong with it."""
    if len(text) > MAX_LENGTH:
        raise ValueError(f"an SSH public key is at most {MAX_LENGTH} characters")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise ValueError("an SSH public key is one line, without control characters")
    parts = text.split(" ", 2)
    if len(parts) < 2:
        raise ValueError("an SSH public key is '<type> <base64> [comment]'")
    kind, encoded = parts[0], parts[1]
    if kind not in KEY_TYPES:
        raise ValueError(f"SSH key type {kind[:40]!r} is not one of {', '.join(KEY_TYPES)}")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the SSH public key's second field is not base64") from None
    fields = _strings(blob)
    if not fields or fields[0] != kind.encode():
        raise ValueError(f"the SSH public key's data is not a {kind} key")
    if kind == "ssh-rsa":
        if len(fields) != 3:
            raise ValueError("the SSH public key's data is not an ssh-rsa key")
        bits = int.from_bytes(fields[2], "big").bit_length()
        if bits < MIN_RSA_BITS:
            raise ValueError(f"an RSA key needs at least {MIN_RSA_BITS} bits; this one has {bits}")
    return text


def _strings(blob: bytes) -> list[bytes] | None:
    """The length-prefixed strings of an SSH wire-format blob, or None if it is not one."""
    out, at = [], 0
    while at < len(blob):
        if at + 4 > len(blob):
            return None
        (size,) = struct.unpack(">I", blob[at:at + 4])
        if at + 4 + size > len(blob):
            return None
        out.append(blob[at + 4:at + 4 + size])
        at += 4 + size
    return out
