"""A host's `user_data` as Nova takes it: base64 text of at most 65535 characters, whose
decoded bytes reach cloud-init untouched (cloud-config, a script, gzip'd, multipart)."""
from __future__ import annotations

import base64
import binascii
import hashlib

MAX_ENCODED = 65535


def check_user_data(text: str) -> str:
    """The text, as given; ValueError saying what is wrong with it."""
    if len(text) > MAX_ENCODED:
        raise ValueError(f"user_data is at most {MAX_ENCODED} characters of base64; this is {len(text)}")
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("user_data is not base64 (standard alphabet, padded)") from None
    return text


def fingerprint(text: str) -> str:
    """What an operation's parameters keep of it: the request's identity, not its secrets."""
    return hashlib.sha256(text.encode()).hexdigest()
