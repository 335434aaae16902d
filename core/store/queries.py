"""EventQueries: the read side of the store, for the GUI, the REST API and the HA client.

Every method runs on a read connection in a reader thread (never the writer), so queries run
concurrently with commits (WAL). Times are aware datetimes; naive ones are taken as UTC.
Dashboard-type methods (counts, buckets, totals, active entities) read the rollups and touch
raw rows only for the sub-5-minute edges of a window.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path
from time import time_ns
from typing import TypeVar

from core.store import query_events, query_meta, query_stats
from core.store.codec import MAX_AHEAD_US, datetime_to_us, us_to_datetime
from core.store.decode import Lookups
from core.store.query_types import (
    AreaInfo,
    BucketStat,
    CountRow,
    DeviceInfo,
    EntityInfo,
    EventFilter,
    EventPage,
    FloorInfo,
    LabelInfo,
    StoredEvent,
)
from core.store.readers import ReadPool
from core.store.rollups import BUCKET_5M

NO_FILTER = EventFilter()
T = TypeVar("T")


def _us(dt: datetime | None) -> int | None:
    return None if dt is None else datetime_to_us(dt)


class EventQueries:
    def __init__(self, reads: ReadPool, lookups: Lookups, path: Path) -> None:
        self._reads = reads
        self._lookups = lookups
        self._path = path

    async def run_read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` on a read connection in a reader thread: the hook for extra read queries
        (REST API, analytics). Never write through it: the connection is query_only."""
        return await self._reads.run(fn)

    @property
    def lookups(self) -> Lookups:
        """The shared key -> value maps used to decode event rows (see core.store.decode)."""
        return self._lookups

    # -- events ------------------------------------------------------------------------------

    async def last_events(self, entity_id: str, limit: int = 100) -> list[StoredEvent]:
        """The newest `limit` events of an entity, newest first."""
        return await self._reads.run(lambda c: query_events.last_events(c, self._lookups, entity_id, limit))

    async def events(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        filter: EventFilter = NO_FILTER,
        *,
        limit: int = 100,
        cursor: str | None = None,
        ascending: bool = False,
    ) -> EventPage:
        """Events with start <= time_fired < end matching `filter`, newest first (or oldest first).

        Pass `page.next_cursor` back as `cursor` (same other arguments) for the next page.
        """
        a, b = _us(start), _us(end)
        return await self._reads.run(
            lambda c: query_events.page(c, self._lookups, filter, a, b, limit, cursor, ascending)
        )

    async def event_by_id(self, event_id: int) -> StoredEvent | None:
        return await self._reads.run(lambda c: query_events.event_by_id(c, self._lookups, event_id))

    async def events_by_context(self, context_id: str) -> list[StoredEvent]:
        """Events caused under this context, oldest first.

        For a ULID, only events from its embedded time (minus 2 s) to one day later are searched,
        through the time index; a pre-2023 uuid id is a full scan.
        """
        return await self._reads.run(
            lambda c: query_events.by_context(c, self._lookups, context_id, parent=False)
        )

    async def events_by_parent_context(self, context_id: str) -> list[StoredEvent]:
        """Events whose context's parent is `context_id` (what an automation run caused)."""
        return await self._reads.run(
            lambda c: query_events.by_context(c, self._lookups, context_id, parent=True)
        )

    async def last_time_fired(self) -> datetime | None:
        """time_fired of the newest stored event (the HA client back-fills from here)."""
        # Bounded like the pipeline's edge check: one row from year 9999 in an older store must
        # not pass for the newest event, or no outage would ever be back-filled again.
        limit = time_ns() // 1000 + MAX_AHEAD_US
        sql = "SELECT max(time_us) FROM events WHERE time_us BETWEEN 0 AND ?"
        row = await self._reads.run(lambda c: c.execute(sql, (limit,)).fetchone())
        return None if row[0] is None else us_to_datetime(row[0])

    # -- dashboard statistics ---------------------------------------------------------------

    async def counts_by_domain(self, start: datetime, end: datetime) -> list[CountRow]:
        """Events per domain in [start, end), largest first."""
        a, b = datetime_to_us(start), datetime_to_us(end)
        counts = await self._reads.run(lambda c: query_stats.grouped_counts(c, a, b, "domain"))
        return query_stats.count_rows(counts)

    async def counts_by_area(self, start: datetime, end: datetime) -> list[CountRow]:
        """Events per area (the area stored with each event; None = no area), largest first."""
        a, b = datetime_to_us(start), datetime_to_us(end)
        counts = await self._reads.run(lambda c: query_stats.grouped_counts(c, a, b, "area"))
        return query_stats.count_rows(counts)

    async def count_events(self, start: datetime, end: datetime) -> int:
        a, b = datetime_to_us(start), datetime_to_us(end)
        counts = await self._reads.run(lambda c: query_stats.grouped_counts(c, a, b, "total"))
        return sum(counts.values())

    async def totals_today(self, tz: tzinfo | None = None, now: datetime | None = None) -> int:
        """Events since local midnight (`tz`, default the system's local zone)."""
        now = now or datetime.now().astimezone(tz)
        local = now.astimezone(tz) if tz is not None else now.astimezone()
        midnight = datetime.combine(local.date(), time(), local.tzinfo)
        return await self.count_events(midnight, now + timedelta(microseconds=1))

    async def active_entities(self, start: datetime, end: datetime) -> int:
        """Distinct entities with at least one event in [start, end)."""
        a, b = datetime_to_us(start), datetime_to_us(end)
        return await self._reads.run(lambda c: query_stats.active_entities(c, a, b))

    async def event_buckets(
        self,
        start: datetime,
        end: datetime,
        bucket_s: int = BUCKET_5M,
        *,
        entity_id: str | None = None,
        domain: str | None = None,
        area_id: str | None = None,
    ) -> list[BucketStat]:
        """Per-bucket counts and value stats from the rollups (bucket_s: a multiple of 300).

        Buckets are aligned to the epoch (UTC); every bucket in range is returned, empty ones as 0.
        """
        if bucket_s <= 0 or bucket_s % BUCKET_5M:
            raise ValueError(f"bucket_s must be a positive multiple of {BUCKET_5M}, got {bucket_s}")
        a, b = datetime_to_us(start) // 1_000_000, -(-datetime_to_us(end) // 1_000_000)
        return await self._reads.run(
            lambda c: query_stats.buckets(c, a, b, bucket_s, entity_id, domain, area_id)
        )

    async def store_size_bytes(self) -> int:
        """The database file plus its WAL and shared-memory files, in bytes."""

        def size() -> int:
            total = 0
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    total += os.stat(f"{self._path}{suffix}").st_size
            return total

        return await self._reads.run(lambda _c: size())

    # -- metadata -------------------------------------------------------------------------------

    async def floors(self, *, include_removed: bool = False) -> list[FloorInfo]:
        return await self._reads.run(lambda c: query_meta.floors(c, include_removed))

    async def areas(self, *, floor_id: str | None = None, include_removed: bool = False) -> list[AreaInfo]:
        return await self._reads.run(lambda c: query_meta.areas(c, floor_id, include_removed))

    async def labels(self, *, include_removed: bool = False) -> list[LabelInfo]:
        return await self._reads.run(lambda c: query_meta.labels(c, include_removed))

    async def devices(
        self,
        *,
        area_id: str | None = None,
        floor_id: str | None = None,
        search: str | None = None,
        include_removed: bool = False,
    ) -> list[DeviceInfo]:
        return await self._reads.run(
            lambda c: query_meta.devices(c, area_id, floor_id, search, include_removed)
        )

    async def entities(
        self,
        *,
        domain: str | None = None,
        device_id: str | None = None,
        area_id: str | None = None,
        floor_id: str | None = None,
        search: str | None = None,
        include_removed: bool = False,
    ) -> list[EntityInfo]:
        return await self._reads.run(
            lambda c: query_meta.entities(c, domain, device_id, area_id, floor_id, search, include_removed)
        )
