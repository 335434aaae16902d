"""ULID context ids (26 chars, Crockford base32, 48-bit ms time + 80 random bits), as HA's ulid_now()."""

from __future__ import annotations

import random

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Two base32 digits per lookup: 10 bits -> 2 chars, so a ULID costs 13 table lookups.
_PAIRS = tuple(a + b for a in _CROCKFORD for b in _CROCKFORD)
_MASK80 = (1 << 80) - 1
ULID_ALPHABET = frozenset(_CROCKFORD)


def encode_ulid(ms: int, randomness: int) -> str:
    """Encode a 48-bit millisecond time and 80 random bits as 26 characters."""
    p = _PAIRS
    return "".join(
        (
            p[(ms >> 40) & 0x3FF],
            p[(ms >> 30) & 0x3FF],
            p[(ms >> 20) & 0x3FF],
            p[(ms >> 10) & 0x3FF],
            p[ms & 0x3FF],
            p[(randomness >> 70) & 0x3FF],
            p[(randomness >> 60) & 0x3FF],
            p[(randomness >> 50) & 0x3FF],
            p[(randomness >> 40) & 0x3FF],
            p[(randomness >> 30) & 0x3FF],
            p[(randomness >> 20) & 0x3FF],
            p[(randomness >> 10) & 0x3FF],
            p[randomness & 0x3FF],
        )
    )


class UlidFactory:
    """Make ULIDs that sort in creation order.

    HA draws fresh randomness every time, so two ids in the same millisecond are unordered; here the
    random part is incremented within a millisecond (the ULID spec's monotonic mode), so ids sort exactly
    in the order the simulator created them, which tests and dedupe logic can rely on.
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._last_ms = -1
        self._random = 0

    def new(self, us: int) -> str:
        """Return a ULID for the time `us` (microseconds); never sorts before the previous one."""
        ms = us // 1000
        if ms > self._last_ms:
            self._last_ms = ms
            self._random = self._rng.getrandbits(79)  # headroom so increments never overflow 80 bits
        else:
            self._random = (self._random + 1) & _MASK80
        return encode_ulid(self._last_ms, self._random)
