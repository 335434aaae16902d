"""Parameters several routes share: event filters, time windows, paging."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from core.api.spec import JsonDict, Kind, Param
from core.api.validation import BadRequest
from core.models import EventSource
from core.store.query_types import EventFilter

INT64_MAX = 2**63 - 1
PERIODS: dict[str, timedelta] = {
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
# A window's end leaves room for time-zone shifts and bucket rounding below datetime's year 9999 limit
# (spatial analytics in a zone east of UTC overflowed at 9999-12-31T23:59:59).
LATEST_END = datetime(9999, 12, 30, tzinfo=UTC)
_CURSOR = re.compile(r"^(\d{1,19}):(\d{1,19})$")


def filter_params(location: str = "query") -> tuple[Param, ...]:
    return (
        Param("entity_id", location=location, description="e.g. light.kitchen", max_length=255),
        Param("domain", location=location, description="e.g. light", max_length=64),
        Param(
            "device_id", location=location, description="the device the event was stored with", max_length=255
        ),
        Param("area_id", location=location, description="the area the event was stored with", max_length=255),
        Param(
            "floor_id", location=location, description="the floor the event was stored with", max_length=255
        ),
        Param("event_type", location=location, description="e.g. state_changed", max_length=64),
        Param("source", Kind.ENUM, location=location, enum=tuple(s.value for s in EventSource)),
    )


def window_params(default: str, location: str = "query") -> tuple[Param, ...]:
    return (
        Param("period", Kind.ENUM, location=location, enum=tuple(PERIODS), default=default,
              description="window ending at `end` (or now) when `start` is not given"),
        Param("start", Kind.DATETIME, location=location, description="ISO 8601, inclusive"),
        Param("end", Kind.DATETIME, location=location, description="ISO 8601, exclusive; default now"),
    )  # fmt: skip


def range_params(location: str = "query") -> tuple[Param, ...]:
    """An optional time range with no default window (event listings)."""
    return (
        Param("start", Kind.DATETIME, location=location, description="ISO 8601, inclusive"),
        Param("end", Kind.DATETIME, location=location, description="ISO 8601, exclusive"),
    )


def page_params(location: str = "query", max_limit: int = 1000) -> tuple[Param, ...]:
    return (
        Param("limit", Kind.INTEGER, location=location, default=100, minimum=1, maximum=max_limit),
        Param("cursor", location=location, max_length=64, description="next_cursor of the previous page"),
    )


def tz_param() -> Param:
    return Param("tz", description="IANA time zone for hours of the day, e.g. Europe/Berlin; default local")


def to_datetime(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def event_filter(params: JsonDict) -> EventFilter:
    source = params.get("source")
    return EventFilter(
        entity_id=params.get("entity_id"),
        domain=params.get("domain"),
        device_id=params.get("device_id"),
        area_id=params.get("area_id"),
        floor_id=params.get("floor_id"),
        event_type=params.get("event_type"),
        source=EventSource(source) if source else None,
    )


def time_range(params: JsonDict) -> tuple[datetime | None, datetime | None]:
    start, end = to_datetime(params.get("start")), to_datetime(params.get("end"))
    if start is not None and end is not None and start >= end:
        raise BadRequest("start must be before end")
    return start, end


def window(params: JsonDict, max_span: timedelta, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The [start, end) a window_params route asked for, checked against its longest allowed span."""
    end = to_datetime(params.get("end")) or now or datetime.now(UTC)
    start = to_datetime(params.get("start")) or end - PERIODS[params.get("period") or "24h"]
    if start >= end:
        raise BadRequest("start must be before end")
    if end > LATEST_END:
        raise BadRequest(f"end must be before {LATEST_END.date().isoformat()}")
    if end - start > max_span:
        raise BadRequest(f"the window may span at most {max_span.days or max_span.seconds // 3600} "
                         f"{'days' if max_span.days else 'hours'}")  # fmt: skip
    return start, end


def parse_cursor(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    match = _CURSOR.match(text)
    if match is None or max(int(match[1]), int(match[2])) > INT64_MAX:
        raise BadRequest("cursor is not a next_cursor this API returned", "bad_cursor")
    return int(match[1]), int(match[2])


def zone(name: str | None) -> tzinfo | None:
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except Exception:  # ValueError, ZoneInfoNotFoundError, or a key zoneinfo refuses (paths)
        raise BadRequest(f"unknown time zone {name[:64]!r}") from None
