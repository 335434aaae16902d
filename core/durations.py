"""Duration analytics: per entity, the typical time spent in each state and the outliers beyond
that entity's own p1/p99 for that state. Shared by the API and the GUI.

This reads raw rows (duration_in_state is per event), bounded by the time window and a row cap;
it is an analysis view, not a dashboard tile. Reading, grouping and the statistics all run in the
store's worker process (core/store/read_process.py): up to ROW_CAP rows of Python work hold the
interpreter lock for seconds, which even a reader thread would make the GUI's event loop feel.
"""

from __future__ import annotations

import sqlite3
import statistics
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.store.codec import datetime_to_us, us_to_datetime
from core.store.query_analytics import duration_rows

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


@dataclass(slots=True)
class Samples:
    """One entity's stays in one state, as columns: arrays of numbers are not tracked by the cyclic
    garbage collector, so grouping 500k rows creates no objects for it to walk (one tuple per row
    did: its collections, under the GIL, stalled the event loop while a reader thread ran this)."""

    seconds: array[float] = field(default_factory=lambda: array("d"))
    event_ids: array[int] = field(default_factory=lambda: array("q"))
    times_us: array[int] = field(default_factory=lambda: array("q"))

    def add(self, seconds: float, event_id: int, time_us: int) -> None:
        self.seconds.append(seconds)
        self.event_ids.append(event_id)
        self.times_us.append(time_us)

    def __len__(self) -> int:
        return len(self.seconds)


def state_duration(state: str | None, samples: Samples) -> StateDuration:
    ordered = sorted(samples.seconds)
    p1, p99 = percentile(ordered, 0.01), percentile(ordered, 0.99)
    median = statistics.median(ordered)
    outliers: list[tuple[float, int, int]] = []
    if len(ordered) >= MIN_SAMPLES_FOR_OUTLIERS:
        outliers = [
            (s, samples.event_ids[i], samples.times_us[i])
            for i, s in enumerate(samples.seconds)
            if s < p1 or s > p99
        ]
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
    # Up to ROW_CAP rows of Python work: in the store's worker process, so the loop never waits on it.
    truncated, entities = await store.read_process.call(_analyse, a, b, entity_id, domain, limit)
    return DurationAnalytics(start, end, truncated, entities)


def _analyse(
    conn: sqlite3.Connection, a: int, b: int, entity_id: str | None, domain: str | None, limit: int
) -> tuple[bool, list[EntityDurations]]:
    grouped, count = group_rows(duration_rows(conn, a, b, entity_id, domain, ROW_CAP))
    return count >= ROW_CAP, summarize_groups(grouped, limit)


Grouped = dict[str, dict[str | None, Samples]]


def group_rows(rows: Iterable[tuple[str, str | None, int, int, int]]) -> tuple[Grouped, int]:
    """(entity, state, ms, event id, time_us) rows per entity and state, and how many rows there were."""
    grouped: Grouped = {}
    count = 0
    for ent, state, ms, event_id, time_us in rows:
        count += 1
        by_state = grouped.get(ent)
        if by_state is None:
            by_state = grouped[ent] = {}
        samples = by_state.get(state)
        if samples is None:
            samples = by_state[state] = Samples()
        samples.add(ms / 1000, event_id, time_us)
    return grouped, count


def summarize(rows: Iterable[tuple[str, str | None, int, int, int]], limit: int) -> list[EntityDurations]:
    """The first `limit` entities (by id) of the rows, each with its most frequent states."""
    return summarize_groups(group_rows(rows)[0], limit)


def summarize_groups(grouped: Grouped, limit: int) -> list[EntityDurations]:
    entities = []
    for ent in sorted(grouped)[:limit]:
        states = sorted(grouped[ent].items(), key=lambda kv: -len(kv[1]))[:MAX_STATES]
        entities.append(
            EntityDurations(
                ent, sum(len(v) for v in grouped[ent].values()), [state_duration(s, v) for s, v in states]
            )
        )
    return entities
