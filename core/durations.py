"""Duration analytics: per entity, the typical time spent in each state and the outliers beyond
that entity's own p1/p99 for that state. Shared by the API and the GUI.

This reads raw rows (duration_in_state is per event), bounded by the time window and a row cap;
it is an analysis view, not a dashboard tile. Reading, grouping and the statistics all run in a
reader thread: up to ROW_CAP rows of Python work must not freeze the GUI's event loop.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.store.codec import datetime_to_us, us_to_datetime
from core.store.query_analytics import duration_rows, run_read

ROW_CAP = 500_000
MIN_SAMPLES_FOR_OUTLIERS = 20  # below this, p1/p99 are just min/max: nothing is "unusual"
MAX_STATES = 10  # per entity: numeric sensors have thousands of distinct states
MAX_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class Outlier:
    event_id: int
    time_fired: datetime
    duration_s: float


@dataclass(frozen=True, slots=True)
class StateDuration:
    state: str | None
    count: int
    typical_s: float  # median
    mean_s: float
    p1_s: float
    p99_s: float
    min_s: float
    max_s: float
    outliers: int
    outlier_examples: list[Outlier]


@dataclass(frozen=True, slots=True)
class EntityDurations:
    entity_id: str
    samples: int
    states: list[StateDuration]


@dataclass(frozen=True, slots=True)
class DurationAnalytics:
    start: datetime
    end: datetime
    truncated: bool  # the row cap was reached: the newest rows were not read
    entities: list[EntityDurations]


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..1)."""
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def state_duration(state: str | None, samples: list[tuple[float, int, int]]) -> StateDuration:
    """samples: (seconds, event id, time_us)."""
    ordered = sorted(s[0] for s in samples)
    p1, p99 = percentile(ordered, 0.01), percentile(ordered, 0.99)
    median = statistics.median(ordered)
    outliers: list[tuple[float, int, int]] = []
    if len(ordered) >= MIN_SAMPLES_FOR_OUTLIERS:
        outliers = [s for s in samples if s[0] < p1 or s[0] > p99]
    examples = sorted(outliers, key=lambda s: -abs(s[0] - median))[:MAX_EXAMPLES]
    return StateDuration(
        state,
        len(ordered),
        median,
        statistics.fmean(ordered),
        p1,
        p99,
        ordered[0],
        ordered[-1],
        len(outliers),
        [Outlier(i, us_to_datetime(t), s) for s, i, t in examples],
    )


async def duration_analytics(
    store: Any,
    start: datetime,
    end: datetime,
    *,
    entity_id: str | None = None,
    domain: str | None = None,
    limit: int = 50,
) -> DurationAnalytics:
    a, b = datetime_to_us(start), datetime_to_us(end)

    def read(conn: Any, _lookups: Any) -> DurationAnalytics:
        rows = duration_rows(conn, a, b, entity_id, domain, ROW_CAP)
        return DurationAnalytics(start, end, len(rows) >= ROW_CAP, summarize(rows, limit))

    return await run_read(store.queries, read)


def summarize(rows: list[Any], limit: int) -> list[EntityDurations]:
    """Group (entity, state, ms, event id, time_us) rows per entity and state; the first `limit`."""
    grouped: dict[str, dict[str | None, list[tuple[float, int, int]]]] = {}
    for ent, state, ms, event_id, time_us in rows:
        grouped.setdefault(ent, {}).setdefault(state, []).append((ms / 1000, event_id, time_us))
    entities = []
    for ent in sorted(grouped)[:limit]:
        states = sorted(grouped[ent].items(), key=lambda kv: -len(kv[1]))[:MAX_STATES]
        entities.append(
            EntityDurations(
                ent, sum(len(v) for v in grouped[ent].values()), [state_duration(s, v) for s, v in states]
            )
        )
    return entities
