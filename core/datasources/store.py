"""The data sources' own SQLite file (sources.db in the data dir): every source's slots, its last
fetch, and its last reading, so a restart serves cached data and does not refetch.

One aiosqlite connection is the single writer (its worker thread serialises statements); the event
store is never touched. WAL, mode 0600, a schema version with forward migrations.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import orjson

from core.datasources.model import Fetched, Source
from core.engine_db import EngineDb
from core.slots import Slot
from core.weather import MAX_AGE, Observation

P = ParamSpec("P")
R = TypeVar("R")
SCHEMA_VERSION = 3
_MIGRATIONS: dict[int, str] = {
    1: """
CREATE TABLE IF NOT EXISTS slots (
    source TEXT NOT NULL,
    series TEXT NOT NULL,           -- price, carbon, temperature, aqi, pm2_5, ...
    start INTEGER NOT NULL,         -- epoch seconds UTC
    end INTEGER NOT NULL,           -- exclusive
    value REAL,                     -- NULL = unknown, never 0
    unit TEXT NOT NULL,
    label TEXT,                     -- carbon band, Tibber level
    PRIMARY KEY (source, series, start)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_slots_end ON slots (end);
CREATE TABLE IF NOT EXISTS fetch_state (
    source TEXT PRIMARY KEY,
    provider TEXT NOT NULL,         -- the cache key: provider|zone, region, place (choice.cache_key)
    last_success REAL,              -- epoch seconds
    last_attempt REAL,
    last_error TEXT,
    current TEXT NOT NULL DEFAULT '{}'  -- the last reading, JSON
);
""",
    2: """
CREATE TABLE IF NOT EXISTS observations (
    observed_at INTEGER PRIMARY KEY,  -- epoch seconds UTC: the start of the interval described
    provider TEXT NOT NULL,
    temperature REAL,                 -- °C
    humidity REAL,                    -- %
    wind_speed REAL,                  -- m/s
    condition TEXT
);
""",
    # 3: points bound for InfluxDB (measurement "data_source"), written with the fetch that made them.
    3: "CREATE TABLE IF NOT EXISTS influx_outbox (id INTEGER PRIMARY KEY, line TEXT NOT NULL);",
}


@dataclass(frozen=True, slots=True)
class FetchState:
    source: Source
    provider: str
    last_success: float | None
    last_attempt: float | None
    last_error: str | None
    current: Mapping[str, Any]


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _dt(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _one_transaction(
    method: Callable[Concatenate[SourcesStore, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[SourcesStore, P], Coroutine[Any, Any, R]]:
    """A writer runs alone, from its first statement to its commit: the fetch tasks and the InfluxDB
    sender share the one connection, and another writer's commit between two statements would split
    a fetch's slots from its outbox rows. A failure rolls back, so no later commit saves half of it."""

    async def run(store: SourcesStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with store._write_lock:
            try:
                return await method(store, *args, **kwargs)
            except BaseException:
                if store._db is not None:
                    await store.db.rollback()
                raise

    return run


class SourcesStore(EngineDb):
    label = "sources store"
    migrations = _MIGRATIONS

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        await self.open_db()

    @_one_transaction
    async def save_fetch(
        self, source: Source, provider: str, fetched: Fetched, at: float, influx_lines: Sequence[str] = ()
    ) -> None:
        """Replace the fetched span of each series (an hourly series that turned quarter-hourly must
        not leave its old hourly slots overlapping the new ones), then record the success; the
        fetch's InfluxDB points join the outbox in the same transaction."""
        for series, slots in fetched.series.items():
            if fetched.replace_span is not None:
                lo = min([fetched.replace_span[0], *(s.start for s in slots)])
                hi = max([fetched.replace_span[1], *(s.end for s in slots)])
            elif not slots:
                continue
            else:
                lo, hi = slots[0].start, max(s.end for s in slots)
            labels = fetched.labels.get(series, {})
            await self.db.execute(
                "DELETE FROM slots WHERE source = ? AND series = ? AND start < ? AND end > ?",
                (source.value, series, _ts(hi), _ts(lo)),
            )
            await self.db.executemany(
                "INSERT OR REPLACE INTO slots VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (source.value, series, _ts(s.start), _ts(s.end), s.value, s.unit, labels.get(s.start))
                    for s in slots
                ],
            )
        await self.db.execute(
            "INSERT INTO fetch_state (source, provider, last_success, last_attempt, last_error, current)"
            " VALUES (?, ?, ?, ?, NULL, ?) ON CONFLICT (source) DO UPDATE SET provider = excluded.provider,"
            " last_success = excluded.last_success, last_attempt = excluded.last_attempt,"
            " last_error = NULL, current = excluded.current",
            (source.value, provider, at, at, orjson.dumps(dict(fetched.current), default=str)),
        )
        await self.db.executemany("INSERT INTO influx_outbox (line) VALUES (?)", [(x,) for x in influx_lines])
        await self.db.commit()

    async def influx_batch(self, limit: int) -> list[tuple[int, str]]:
        async with self.db.execute("SELECT id, line FROM influx_outbox ORDER BY id LIMIT ?", (limit,)) as cur:
            return [(int(r[0]), str(r[1])) for r in await cur.fetchall()]

    @_one_transaction
    async def influx_done(self, up_to_id: int) -> None:
        await self.db.execute("DELETE FROM influx_outbox WHERE id <= ?", (up_to_id,))
        await self.db.commit()

    async def influx_pending(self) -> int:
        async with self.db.execute("SELECT COUNT(*) FROM influx_outbox") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    @_one_transaction
    async def save_failure(self, source: Source, provider: str, error: str, at: float) -> None:
        await self.db.execute(
            "INSERT INTO fetch_state (source, provider, last_attempt, last_error) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (source) DO UPDATE SET provider = excluded.provider,"
            " last_attempt = excluded.last_attempt, last_error = excluded.last_error",
            (source.value, provider, at, error),
        )
        await self.db.commit()

    async def fetch_states(self) -> dict[Source, FetchState]:
        sql = "SELECT source, provider, last_success, last_attempt, last_error, current FROM fetch_state"
        async with self.db.execute(sql) as cur:
            rows = await cur.fetchall()
        return {
            Source(r[0]): FetchState(Source(r[0]), r[1], r[2], r[3], r[4], orjson.loads(r[5]))
            for r in rows
            if r[0] in Source._value2member_map_
        }

    async def load(
        self, source: Source, since: datetime
    ) -> tuple[dict[str, list[Slot]], dict[str, dict[datetime, str]]]:
        """Every series of a source whose slots end after `since`, in time order, with their labels."""
        sql = (
            "SELECT series, start, end, value, unit, label FROM slots"
            " WHERE source = ? AND end > ? ORDER BY series, start"
        )
        series: dict[str, list[Slot]] = {}
        labels: dict[str, dict[datetime, str]] = {}
        async with self.db.execute(sql, (source.value, _ts(since))) as cur:
            async for name, start, end, value, unit, label in cur:
                slot = Slot(_dt(start), _dt(end), value, unit)
                series.setdefault(name, []).append(slot)
                if label is not None:
                    labels.setdefault(name, {})[slot.start] = label
        return series, labels

    async def range(self, source: Source, series: str, start: datetime, end: datetime) -> list[Slot]:
        sql = (
            "SELECT start, end, value, unit FROM slots WHERE source = ? AND series = ?"
            " AND start < ? AND end > ? ORDER BY start"
        )
        async with self.db.execute(sql, (source.value, series, _ts(end), _ts(start))) as cur:
            return [Slot(_dt(a), _dt(b), v, u) for a, b, v, u in await cur.fetchall()]

    @_one_transaction
    async def forget(self, sources: Iterable[Source]) -> None:
        """Drop a source's cache (its provider changed: the old provider's slots are not the new one's)."""
        for source in sources:
            await self.db.execute("DELETE FROM slots WHERE source = ?", (source.value,))
            await self.db.execute("DELETE FROM fetch_state WHERE source = ?", (source.value,))
        await self.db.commit()

    @_one_transaction
    async def apply_retention(self, days: int, now: float | None = None) -> int:
        cutoff = (time.time() if now is None else now) - days * 86400
        cur = await self.db.execute("DELETE FROM slots WHERE end < ?", (int(cutoff),))
        removed = int(cur.rowcount or 0)
        cur = await self.db.execute("DELETE FROM observations WHERE observed_at < ?", (int(cutoff),))
        await self.db.commit()
        return removed + int(cur.rowcount or 0)

    @_one_transaction
    async def save_observation(self, obs: Observation) -> None:
        await self.db.execute(
            "INSERT OR REPLACE INTO observations VALUES (?, ?, ?, ?, ?, ?)",
            (
                _ts(obs.observed_at),
                obs.provider,
                obs.temperature,
                obs.humidity,
                obs.wind_speed,
                obs.condition,
            ),
        )
        await self.db.commit()

    async def observations_around(self, first: datetime, last: datetime) -> list[Observation]:
        """The observations that can describe events fired in [first, last]: from MAX_AGE before.
        Epoch arithmetic, so events stamped year 1 or 9999 do not overflow a datetime."""
        lo, hi = int(first.timestamp() - MAX_AGE.total_seconds()), int(last.timestamp()) + 1
        sql = "SELECT * FROM observations WHERE observed_at >= ? AND observed_at < ? ORDER BY observed_at"
        async with self.db.execute(sql, (lo, hi)) as cur:
            return [Observation(_dt(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in await cur.fetchall()]

    async def observations(self, start: datetime, end: datetime) -> list[Observation]:
        sql = "SELECT * FROM observations WHERE observed_at >= ? AND observed_at < ? ORDER BY observed_at"
        async with self.db.execute(sql, (_ts(start), _ts(end))) as cur:
            return [Observation(_dt(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in await cur.fetchall()]


async def series_names(store: SourcesStore, source: Source) -> list[str]:
    async with store.db.execute(
        "SELECT DISTINCT series FROM slots WHERE source = ? ORDER BY series", (source.value,)
    ) as cur:
        return [str(r[0]) for r in await cur.fetchall()]


async def labels_between(
    store: SourcesStore, source: Source, series: str, start: datetime, end: datetime
) -> dict[datetime, str]:
    sql = (
        "SELECT start, label FROM slots WHERE source = ? AND series = ? AND start < ? AND end > ?"
        " AND label IS NOT NULL"
    )
    async with store.db.execute(sql, (source.value, series, _ts(end), _ts(start))) as cur:
        return {_dt(a): str(b) for a, b in await cur.fetchall()}
