"""What the Analytics tab reads: core.analytics / durations / reliability, the same functions the REST
API serves, over one window; and how their rows are shown."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app import fmt
from app.models.rows_model import Column

RANGES = {"1 h": 3600, "24 h": 86400, "7 d": 7 * 86400}
BUCKET_S = {3600: 300, 86400: 300, 7 * 86400: 3600}
TOP = 15


@dataclass(frozen=True, slots=True)
class AnalyticsData:
    start: datetime
    end: datetime
    stats: Any  # core.analytics.EventStats
    buckets: list[Any]  # BucketStat
    bucket_s: int
    heat: Any  # core.analytics.AreaActivity
    reliability: list[Any]  # core.reliability.DeviceReliability
    computed_at: float


async def read_analytics(store: Any, seconds: int, now: datetime | None = None) -> AnalyticsData:
    from core.analytics import area_activity, event_stats
    from core.reliability import device_reliability

    end = now or datetime.now(UTC)
    start = end - timedelta(seconds=seconds)
    bucket_s = BUCKET_S[seconds]
    stats, buckets, heat, reliability = await asyncio.gather(
        event_stats(store, start, end, top=TOP),
        store.queries.event_buckets(start, end, bucket_s),
        area_activity(store, start, end),
        device_reliability(store, start, end),
    )
    return AnalyticsData(start, end, stats, buckets, bucket_s, heat, reliability, end.timestamp())


async def read_durations(store: Any, start: datetime, end: datetime) -> Any:
    """core.durations over the window: on demand only, it reads every raw event of the window
    (and groups them on the event loop: 0.25 s for 200k events, measured)."""
    from core.durations import duration_analytics

    return await duration_analytics(store, start, end, limit=500)


@dataclass(frozen=True, slots=True)
class OutlierRow:
    entity_id: str
    state: Any  # core.durations.StateDuration


def outlier_rows(durations: Any) -> list[OutlierRow]:
    """States that had outliers, most outliers first (core decides what an outlier is)."""
    rows = [OutlierRow(e.entity_id, s) for e in durations.entities for s in e.states if s.outliers]
    return sorted(rows, key=lambda r: (-r.state.outliers, r.entity_id))


ENTITY_COLUMNS = [
    Column("Entity", lambda r: r.entity_id, sample=None),
    Column("Domain", lambda r: r.domain, sample="binary_sensor"),
    Column("Events", lambda r: fmt.number(r.count), align_right=True),
    Column("Changes", lambda r: fmt.number(r.changes), align_right=True),
    Column("Last event", lambda r: fmt.clock(r.last_us / 1e6) if r.last_us else fmt.DASH),
]
OUTLIER_COLUMNS = [
    Column("Entity", lambda r: r.entity_id, sample=None),
    Column("State", lambda r: fmt.text(r.state.state)),
    Column("Samples", lambda r: fmt.number(r.state.count), align_right=True),
    Column("Typical", lambda r: fmt.duration(r.state.typical_s), align_right=True),
    Column("p99", lambda r: fmt.duration(r.state.p99_s), align_right=True),
    Column("Longest", lambda r: fmt.duration(r.state.max_s), align_right=True),
    Column("Outliers", lambda r: fmt.number(r.state.outliers), align_right=True),
]
RELIABILITY_COLUMNS = [
    Column("Device", lambda r: r.name, sample=None),
    Column("Availability", lambda r: fmt.percent(r.availability_pct, 2), align_right=True),
    Column("Unavailable now", lambda r: "yes" if r.unavailable_now else ""),
    Column("Events / day", lambda r: fmt.number(r.events_per_day), align_right=True),
    Column("Last seen", lambda r: fmt.age(r.last_seen.timestamp()) if r.last_seen else "never"),
    Column("Manufacturer", lambda r: fmt.text(r.manufacturer)),
]


def heat_columns(hours: list[datetime], seconds: int) -> list[str]:
    """Hour labels in local time (with the day for windows longer than a day)."""
    fmt_ = "%a %H" if seconds > 86400 else "%H:00"
    return [h.astimezone().strftime(fmt_) for h in hours]
