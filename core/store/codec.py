"""Compact encodings shared by the writer and the readers: times, ULID context ids, small enums.

Times are stored as integer microseconds since the Unix epoch (UTC): exact, sortable and an
8-byte integer in SQLite, where a float or ISO string would round or cost 32 bytes.
"""

from __future__ import annotations

import base64
import math
from datetime import UTC, datetime, timedelta

from core.models import EventSource

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_AHEAD_US = 86_400_000_000  # a time more than a day ahead of our clock is not a real event
_ONE_US = timedelta(microseconds=1)

# Crockford base32 (ULID) <-> the digits Python's int(x, 32) reads. Every other letter maps to
# "!" so that int() rejects it: "L" or lower case would otherwise decode silently to a different
# id and the round trip would not be lossless.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PYDIGITS = "0123456789abcdefghijklmnopqrstuv"
_invalid = {c: "!" for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_TO_PY32 = str.maketrans({**_invalid, **dict(zip(_CROCKFORD, _PYDIGITS, strict=True))})
_RFC4648 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_FROM_RFC = str.maketrans(_RFC4648, _CROCKFORD)

ORIGIN_CODES = {"LOCAL": 0, "REMOTE": 1}
ORIGIN_NAMES = {v: k for k, v in ORIGIN_CODES.items()}
SOURCE_CODES: dict[str, int] = {EventSource.LIVE: 0, EventSource.SNAPSHOT: 1, EventSource.BACKFILL: 2}
SOURCE_NAMES = {0: EventSource.LIVE, 1: EventSource.SNAPSHOT, 2: EventSource.BACKFILL}


def parse_time_us(text: str) -> int:
    """Return exact epoch microseconds of an ISO 8601 time; naive times are taken as UTC."""
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - EPOCH) // _ONE_US


def epoch_to_us(seconds: float) -> int:
    """Return microseconds for an epoch float (history rows' `lu`/`lc`) exactly as HA derives an
    event's time from its float timestamp (datetime.fromtimestamp, not round(seconds * 1e6))."""
    return (datetime.fromtimestamp(seconds, UTC) - EPOCH) // _ONE_US


_MIN = datetime.min.replace(tzinfo=UTC)
_MAX = datetime.max.replace(tzinfo=UTC)


def us_to_datetime(time_us: int) -> datetime:
    """Return the aware UTC datetime of epoch microseconds (exact, no float rounding).

    A time outside what datetime can hold (a row from before the edge checks, or written by
    another program) is clamped to year 1 or 9999, so that every read path still answers."""
    try:
        return EPOCH + timedelta(microseconds=time_us)
    except OverflowError:
        return _MIN if time_us < 0 else _MAX


def datetime_to_us(dt: datetime) -> int:
    """Return epoch microseconds of a datetime; naive datetimes are taken as UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - EPOCH) // _ONE_US


def ulid_to_bytes(text: str) -> bytes | None:
    """Return the 16 bytes of a canonical ULID string, or None when it is not one."""
    if len(text) != 26:
        return None
    try:
        return int(text.translate(_TO_PY32), 32).to_bytes(16, "big")
    except (ValueError, OverflowError):
        return None


def bytes_to_ulid(raw: bytes) -> str:
    """Return the canonical 26-character ULID string of 16 bytes."""
    # 2 zero bits + 128 id bits = 26 base32 digits; shifting left by 6 makes 17 whole bytes.
    padded = (int.from_bytes(raw, "big") << 6).to_bytes(17, "big")
    return base64.b32encode(padded)[:26].decode("ascii").translate(_FROM_RFC)


def encode_context(context_id: str | None) -> bytes | str | None:
    """Store a ULID as 16 bytes; any other id (pre-2023 uuid4 hex) as text, told apart by type."""
    if context_id is None:
        return None
    return ulid_to_bytes(context_id) or context_id


def decode_context(stored: bytes | str | None) -> str | None:
    """Reverse of encode_context."""
    if stored is None or isinstance(stored, str):
        return stored
    return bytes_to_ulid(stored)


def ulid_time_ms(context_id: str) -> int | None:
    """Return the millisecond timestamp embedded in a ULID (its first 48 bits), or None."""
    raw = ulid_to_bytes(context_id)
    return None if raw is None else int.from_bytes(raw[:6], "big")


def encode_origin(origin: str | None) -> int | str | None:
    """HA's two origins as 0/1 (stored in the record header, zero bytes); anything else verbatim."""
    if origin is None:
        return None
    code = ORIGIN_CODES.get(origin)
    return origin if code is None else code


def decode_origin(stored: int | str | None) -> str | None:
    if stored is None or isinstance(stored, str):
        return stored
    return ORIGIN_NAMES.get(stored, str(stored))


def finite_float(state: str | None) -> float | None:
    """Return float(state) when the state is a finite number, else None ("nan"/"inf" -> None)."""
    if not state:
        return None
    try:
        value = float(state)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
