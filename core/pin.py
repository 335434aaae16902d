"""The kiosk PIN, kept only as a salted scrypt hash: the config file, the Configuration form and the
logs never hold the digits, so a short PIN never needs masking (masking "2468" everywhere would
corrupt ordinary text and point at the PIN by where the mask lands).

Format: `scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`; anything else is a clear PIN from an older
config, hashed when the config is loaded (and rewritten in the file, see core.config).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "scrypt$"
# n=2**14, r=8: 16 MiB and ~50 ms per check on a Raspberry Pi class CPU; an unlock is a human action.
_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 16
_HASH_BYTES = 32


def is_pin_hash(value: str) -> bool:
    return value.startswith(PREFIX) and value.count("$") == 5


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """The stored form of `pin` ("" stays "": no PIN); an existing hash is returned unchanged."""
    if not pin or is_pin_hash(pin):
        return pin
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    digest = _derive(pin, salt, _N, _R, _P)
    return PREFIX + "$".join([str(_N), str(_R), str(_P), _b64(salt), _b64(digest)])


def verify_pin(entered: str, stored: str) -> bool:
    """True when `entered` is the PIN `stored` (a hash; a clear legacy value is hashed first)."""
    if not stored:
        return False  # no PIN set: nothing to match (the kiosk does not ask for one then)
    stored = hash_pin(stored)
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = _derive(entered, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def _derive(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=_HASH_BYTES
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
