"""Dashboard analytics, computed once here for both the REST API and the GUI (same numbers).

Everything in this module reads the rollups (plus at most ten minutes of raw rows at window
edges), so each call stays within the dashboard budget on a store of ten million events.
`store` is the runtime's EventStore.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.store.codec import datetime_to_us
from core.store.decode import Lookups
from core.store.query_analytics import (
    EntityCount,
    GroupKey,
    area_hour_counts,
    bucket_stats,
    ensure_lookups,
    entity_counts,
    entity_counts_from,
    run_read,
    window_groups,
)
from core.store.query_types import BucketStat, CountRow

HOUR = 3600
NO_AREA = "No area"


@dataclass(frozen=True, slots=True)
class EventStats:
    start: datetime
    end: datetime
    total: int
    per_second: float
    per_minute: float
    active_entities: int
    domains: list[CountRow]
    areas: list[CountRow]
    top_entities: list[EntityCount]


@dataclass(frozen=True, slots=True)
class RealtimeStats:
    start: datetime
    end: datetime
    window_s: int
    events: int
    events_per_s: float
    active_entities: int
    top_domains: list[CountRow]
    top_entities: list[EntityCount]


@dataclass(frozen=True, slots=True)
class AreaRow:
    area_id: str | None
    name: str
    floor_id: str | None
    counts: list[int]  # one per hour of AreaActivity.hours
    total: int


@dataclass(frozen=True, slots=True)
class AreaActivity:
    hours: list[datetime]  # hour starts (UTC)
    areas: list[AreaRow]


def _seconds(dt: datetime) -> float:
    return datetime_to_us(dt) / 1_000_000


async def entity_activity(
    store: Any,
    start: datetime,
    end: datetime,
    *,
    domain: str | None = None,
    area_id: str | None = None,
    limit: int = 50,
) -> list[EntityCount]:
    """The busiest entities in [start, end): events, state changes, last event."""
    a, b = datetime_to_us(start), datetime_to_us(end)
    rows = await run_read(store.queries, lambda c, lookups: entity_counts(c, lookups, a, b, domain, area_id))
    return rows[:limit]


def _count_rows(counts: Counter[str | None], top: int) -> list[CountRow]:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or ""))
    return [CountRow(k, v) for k, v in ordered if v][:top]


def _summarize(
    groups: dict[GroupKey, list[int]], lookups: Lookups, start: datetime, end: datetime, top: int
) -> EventStats:
    domains: Counter[str | None] = Counter()
    areas: Counter[str | None] = Counter()
    for (entity_key, enrich_key), (n, _changes, _last) in groups.items():
        entity_id = lookups.entity.get(entity_key, "")
        domains[entity_id.partition(".")[0]] += n
        enrich = lookups.enrich.get(enrich_key)
        areas[enrich.area_id if enrich is not None else None] += n
    total = sum(domains.values())
    seconds = max(1e-9, _seconds(end) - _seconds(start))
    return EventStats(
        start=start,
        end=end,
        total=total,
        per_second=total / seconds,
        per_minute=total * 60 / seconds,
        active_entities=len({entity_key for entity_key, _ in groups}),
        domains=_count_rows(domains, top),
        areas=_count_rows(areas, top),
        top_entities=entity_counts_from(groups, lookups)[:top],
    )


async def event_stats(store: Any, start: datetime, end: datetime, *, top: int = 10) -> EventStats:
    """Counts, rates, active entities, top domains, areas and entities of [start, end), in one pass."""
    a, b = datetime_to_us(start), datetime_to_us(end)

    def read(conn: Any, lookups: Lookups) -> EventStats:
        groups = window_groups(conn, a, b)
        ensure_lookups(conn, lookups, groups)
        return _summarize(groups, lookups, start, end, top)

    result: EventStats = await run_read(store.queries, read)
    return result


async def realtime(
    store: Any, now: datetime | None = None, *, window_s: int = 300, top: int = 5
) -> RealtimeStats:
    """The last `window_s` seconds: events per second, active entities, top domains and entities."""
    end = now or datetime.now(UTC)
    start = end - timedelta(seconds=window_s)
    stats = await event_stats(store, start, end, top=top)
    return RealtimeStats(
        start,
        end,
        window_s,
        stats.total,
        stats.per_second,
        stats.active_entities,
        stats.domains,
        stats.top_entities,
    )


async def timeline(
    store: Any,
    start: datetime,
    end: datetime,
    bucket_s: int = 300,
    *,
    entity_id: str | None = None,
    domain: str | None = None,
    area_id: str | None = None,
) -> list[BucketStat]:
    """Per-bucket counts and value statistics from the rollups (bucket_s a multiple of 300)."""
    if bucket_s <= 0 or bucket_s % 300:
        raise ValueError(f"bucket_s must be a positive multiple of 300, got {bucket_s}")
    a, b = datetime_to_us(start) // 1_000_000, -(-datetime_to_us(end) // 1_000_000)
    result: list[BucketStat] = await run_read(
        store.queries, lambda c, _l: bucket_stats(c, a, b, bucket_s, entity_id, domain, area_id)
    )
    return result


def hour_range(start: datetime, end: datetime) -> tuple[int, int]:
    """[start, end) widened to whole hours, as epoch seconds."""
    a, b = int(_seconds(start)), -int(-_seconds(end) // 1)
    return a - a % HOUR, -(-b // HOUR) * HOUR


async def area_activity(store: Any, start: datetime, end: datetime) -> AreaActivity:
    """Heatmap data: events per area per hour over [start, end) (widened to whole hours)."""
    a, b = hour_range(start, end)
    rows, areas = await asyncio.gather(
        run_read(store.queries, lambda c, _l: area_hour_counts(c, a, b)),
        store.queries.areas(),
    )
    hours = list(range(a, b, HOUR))
    index = {h: i for i, h in enumerate(hours)}
    counts: dict[str | None, list[int]] = {area.area_id: [0] * len(hours) for area in areas}
    for bucket, area_id, n in rows:
        counts.setdefault(area_id, [0] * len(hours))[index[bucket]] += n
    info = {area.area_id: area for area in areas}
    out = [
        AreaRow(
            area_id,
            info[area_id].name if area_id in info else (NO_AREA if area_id is None else area_id),
            info[area_id].floor_id if area_id in info else None,
            series,
            sum(series),
        )
        for area_id, series in counts.items()
    ]
    out.sort(key=lambda r: (-r.total, r.name))
    return AreaActivity([datetime.fromtimestamp(h, UTC) for h in hours], out)
