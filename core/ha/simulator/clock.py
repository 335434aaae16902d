"""Time as integer microseconds since the epoch, and HA's timestamp formats.

Integers keep per-entity ordering exact (floats near 1.8e9 s only just resolve a microsecond), and the ISO
text is built from a cached per-second prefix because it is produced for every event.

HA itself keeps the float of time.time() (finer than a microsecond) as a state's timestamp: the
recorder stores and history returns that float, while events carry datetime.fromtimestamp(ts)
as ISO text. `now_ts` and `us_of_ts` reproduce that pair, so a client that converts a history
float any other way than HA does stores one change twice (it did: round(ts * 1e6) is 1 µs off for
about one timestamp in eight).
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

US_PER_S = 1_000_000


def now_us() -> int:
    """Return the wall clock in microseconds."""
    return time.time_ns() // 1000


def now_ts() -> float:
    """Return the wall clock as HA keeps it: time.time(), finer than a microsecond."""
    return time.time()


def us_of_ts(ts: float) -> int:
    """Return the microseconds of datetime.fromtimestamp(ts, UTC) (HA's dt_util.utc_from_timestamp).

    The same steps as CPython's: the float's exact fraction times 10^6, rounded half to even (a
    test checks it against datetime over many values); 2.5 times faster, and it runs per event."""
    fraction, whole = math.modf(ts)
    return int(whole) * US_PER_S + round(fraction * US_PER_S)


@lru_cache(maxsize=8)
def _second_prefix(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def iso(us: int) -> str:
    """Format like datetime.isoformat() in UTC: no fractional part when the microseconds are 0."""
    second, micro = divmod(us, US_PER_S)
    if micro:
        return f"{_second_prefix(second)}.{micro:06d}+00:00"
    return _second_prefix(second) + "+00:00"


def ts(us: int) -> float:
    """Return the float epoch timestamp HA sends in compressed states (datetime.timestamp())."""
    return us / US_PER_S


def from_datetime(value: datetime) -> int:
    """Convert an aware datetime to microseconds."""
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * US_PER_S + delta.microseconds


def local_zone(name: str) -> tzinfo:
    """Return the configured HA time zone, or UTC when the system has no tz database."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def parse_datetime(text: str, default_zone: tzinfo) -> int | None:
    """Parse like dt_util.parse_datetime + as_utc: naive times are in HA's zone; None when invalid."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_zone)
    return from_datetime(value)
