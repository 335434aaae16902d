"""Spatial analytics per area and per floor: events, active entities and busiest hours of the day.

Hours of the day are local to `tz` (default: the system's zone), computed per hourly rollup
bucket, so a DST change moves the buckets correctly. Shared by the API and the GUI.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from core.analytics import NO_AREA, hour_range
from core.store.query_analytics import place_hour_counts, place_totals, run_read

BUSIEST = 3


@dataclass(frozen=True, slots=True)
class PlaceStats:
    id: str | None  # area_id or floor_id; None for events without one
    name: str
    floor_id: str | None  # the area's floor (None for floors themselves)
    events: int
    active_entities: int
    hour_of_day: list[int]  # 24 counts, local time
    busiest_hours: list[int]  # the BUSIEST hours of the day with the most events, busiest first


@dataclass(frozen=True, slots=True)
class SpatialAnalytics:
    start: datetime
    end: datetime
    timezone: str
    areas: list[PlaceStats]
    floors: list[PlaceStats]


def busiest(hours: list[int], n: int = BUSIEST) -> list[int]:
    ranked = sorted(range(24), key=lambda h: (-hours[h], h))
    return [h for h in ranked[:n] if hours[h] > 0]


def _hour_of_day(rows: list[tuple[str | None, int, int]], tz: tzinfo) -> dict[str | None, list[int]]:
    out: dict[str | None, list[int]] = {}
    for key, bucket, n in rows:
        hour = datetime.fromtimestamp(bucket, tz).hour
        out.setdefault(key, [0] * 24)[hour] += n
    return out


async def _places(
    store: Any, column: str, a: int, b: int, tz: tzinfo
) -> list[tuple[Any, int, int, list[int]]]:
    totals, hourly = await asyncio.gather(
        run_read(store.queries, lambda c, _l: place_totals(c, a, b, column)),
        run_read(store.queries, lambda c, _l: place_hour_counts(c, a, b, column)),
    )
    by_hour = _hour_of_day(hourly, tz)
    return [(key, n, active, by_hour.get(key, [0] * 24)) for key, n, active in totals]


async def spatial_analytics(
    store: Any, start: datetime, end: datetime, tz: tzinfo | None = None
) -> SpatialAnalytics:
    """Per area and per floor over [start, end) widened to whole hours."""
    zone = tz or datetime.now().astimezone().tzinfo or UTC
    a, b = hour_range(start, end)
    q = store.queries
    areas, floors, area_rows, floor_rows = await asyncio.gather(
        q.areas(), q.floors(), _places(store, "area_id", a, b, zone), _places(store, "floor_id", a, b, zone)
    )
    area_info = {x.area_id: x for x in areas}
    floor_names = {x.floor_id: x.name for x in floors}
    area_stats = [
        PlaceStats(
            key,
            area_info[key].name if key in area_info else (NO_AREA if key is None else key),
            area_info[key].floor_id if key in area_info else None,
            n,
            active,
            hours,
            busiest(hours),
        )
        for key, n, active, hours in area_rows
    ]
    floor_stats = [
        PlaceStats(key, floor_names.get(key, key or "No floor"), None, n, active, hours, busiest(hours))
        for key, n, active, hours in floor_rows
    ]
    return SpatialAnalytics(
        datetime.fromtimestamp(a, UTC),
        datetime.fromtimestamp(b, UTC),
        str(zone),
        sorted(area_stats, key=lambda p: (-p.events, p.name)),
        sorted(floor_stats, key=lambda p: (-p.events, p.name)),
    )
