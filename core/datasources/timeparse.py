"""Timestamp parsing for the providers' many conventions, always ending in aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.slots import Slot


def utc_iso(text: str) -> datetime:
    """ISO 8601 with Z or an offset ("2025-11-03T14:00Z", "...T15:00:00.000+01:00") to UTC.
    A naive text is taken as UTC (callers with local naive times use `local_naive`)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def local_naive(text: str, zone: str, utc_offset_s: int = 0) -> datetime:
    """A naive local wall time ("2025-11-03T14:45") in `zone` to UTC. The zone's rules are used
    when known (so a series crossing a clock change converts right); else the fixed offset."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    if zone.upper() in ("GMT", "UTC", ""):
        return moment.replace(tzinfo=UTC) - timedelta(seconds=utc_offset_s)
    try:
        return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    except (ZoneInfoNotFoundError, ValueError):
        return moment.replace(tzinfo=UTC) - timedelta(seconds=utc_offset_s)


def epoch_ms(value: float) -> datetime:
    return datetime.fromtimestamp(value / 1000.0, UTC)


def epoch_s(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def compact_utc(moment: datetime) -> str:
    """ENTSO-E's yyyyMMddHHmm in UTC."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M")


def slots_from_starts(
    starts: list[datetime],
    values: list[float | None],
    unit: str,
    *,
    fallback: timedelta,
    max_step: timedelta = timedelta(hours=1),
) -> tuple[Slot, ...]:
    """Slots labelled by their start whose end is the next start: the slot length comes from the
    data, so an hourly series that turns quarter-hourly midway gives 60- then 15-minute slots.
    The last slot repeats the length before it (`fallback` when there is only one); a gap longer
    than `max_step` (missing rows) is not bridged: that slot keeps the previous length."""
    out: list[Slot] = []
    step = fallback
    for i, (start, value) in enumerate(zip(starts, values, strict=True)):
        if i + 1 < len(starts) and timedelta(0) < starts[i + 1] - start <= max_step:
            step = starts[i + 1] - start
        out.append(Slot(start, start + step, value, unit))
    return tuple(out)


def floor_to(moment: datetime, minutes: int) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % minutes, second=0, microsecond=0)
