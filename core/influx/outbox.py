"""What the sender needs from the store's outbox, and the disk cap (outbox_max_bytes).

The outbox rows are written by the store in the same transaction as the events, so a point is
never in SQLite without being queued for InfluxDB. Acks are idempotent and a point resent after a
crash overwrites itself in InfluxDB (same series and timestamp), so "ack after the server said
204" gives exactly-once data in InfluxDB.

The cap works on an estimate: depth x the average encoded line length seen so far (a moving
average; DEFAULT_POINT_BYTES until the first batch was encoded). At 80 % a warning is logged once
(re-armed below 70 %); at 100 % the oldest points are dropped down to the cap with an error log,
and counted in the status.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, Protocol

from core.models import EnrichedEvent
from core.store.decode import Lookups
from core.store.outbox import read_batch
from core.store.writer import connect

log = logging.getLogger(__name__)

DEFAULT_POINT_BYTES: Final = 400.0
WARN_FRACTION: Final = 0.8
REARM_FRACTION: Final = 0.7
READ_CHUNK: Final = 500  # outbox rows read per step on the loop (~7 ms)


class OutboxStore(Protocol):
    """What the sender uses of core.store.EventStore (its file, for OutboxReader's own connection)."""

    @property
    def path(self) -> Path: ...

    async def read_outbox_batch(self, limit: int) -> list[tuple[int, EnrichedEvent]]: ...

    async def ack_outbox(self, ids: Sequence[int]) -> object: ...

    async def outbox_stats(self) -> tuple[int, datetime | float | None]: ...

    async def drop_oldest_outbox(self, n: int) -> object: ...

    async def quarantine(self, event_ids: Sequence[int], error: str) -> object:
        """Record the events as unsendable (with the server's error) and take them out of the outbox."""


def age_s(oldest: datetime | float | None, now: float | None = None) -> float | None:
    """Age in seconds of the oldest point (a datetime, or epoch seconds/microseconds)."""
    if oldest is None:
        return None
    now = time.time() if now is None else now
    if isinstance(oldest, datetime):
        return max(0.0, now - oldest.timestamp())
    seconds = oldest / 1e6 if oldest > 1e12 else oldest
    return max(0.0, now - seconds)


@dataclass(slots=True)
class OutboxCap:
    max_bytes: int
    bytes_per_point: float = DEFAULT_POINT_BYTES
    dropped_total: int = 0
    _measured: bool = False
    _warned: bool = False

    def observe(self, lines: Sequence[str]) -> None:
        if lines:
            mean = sum(len(line) for line in lines) / len(lines) + 1  # + the newline
            self.bytes_per_point = 0.8 * self.bytes_per_point + 0.2 * mean if self._measured else mean
            self._measured = True

    def estimate(self, depth: int) -> int:
        return int(depth * self.bytes_per_point)

    def excess(self, depth: int) -> int:
        """How many oldest points must go to bring the estimate back to the cap (0 if under it)."""
        fill = self.estimate(depth) / self.max_bytes
        if fill >= WARN_FRACTION and not self._warned:
            self._warned = True
            log.warning(
                "InfluxDB outbox at %.0f %% of outbox_max_bytes (%d points, about %d MB): "
                "InfluxDB has not accepted writes for a while; at 100 %% the oldest points are dropped",
                fill * 100,
                depth,
                self.estimate(depth) // 1_000_000,
            )
        elif fill < REARM_FRACTION:
            self._warned = False
        if fill < 1.0:
            return 0
        return depth - int(self.max_bytes / self.bytes_per_point)

    def dropped(self, n: int, depth: int) -> None:
        self.dropped_total += n
        log.error(
            "InfluxDB outbox full (outbox_max_bytes = %d, ~%.0f bytes per point): dropped the %d oldest "
            "points; %d dropped since start; %d still queued",
            self.max_bytes,
            self.bytes_per_point,
            n,
            self.dropped_total,
            depth - n,
        )


class OutboxReader:
    """Reads the outbox past the batches already in flight, so that reading overlaps the POSTs.

    The store's `read_outbox_batch(limit)` always starts at the oldest row, which is still in
    flight. This reader runs the store's own outbox SELECT (core.store.outbox.read_batch) past
    `after_id`, decoded by its own Lookups, on its own read-only connection to the store's file
    (PRAGMA query_only: every write still goes through the store's single writer). It reads on the
    loop thread in READ_CHUNK-row steps with a yield between them: a reader thread ping-pongs the
    GIL with the loop on every row and was ~25 % slower here.
    """

    def __init__(self, store: OutboxStore) -> None:
        self._path = store.path
        self._conn: sqlite3.Connection | None = None
        self._lookups: Lookups | None = None

    async def read(self, limit: int, after_id: int | None) -> list[tuple[int, EnrichedEvent]]:
        """Oldest first: up to `limit` queued events with an id above `after_id` (None: from the start)."""
        out: list[tuple[int, EnrichedEvent]] = []
        last = after_id or 0
        while len(out) < limit:
            part = self._read_after(min(READ_CHUNK, limit - len(out)), last)
            out += part
            if len(part) < READ_CHUNK:
                break
            last = part[-1][0]
            await asyncio.sleep(0)
        return out

    def _read_after(self, limit: int, after_id: int) -> list[tuple[int, EnrichedEvent]]:
        if self._conn is None or self._lookups is None:
            self._conn, self._lookups = connect(self._path, readonly=True), Lookups()
        return read_batch(self._conn, self._lookups, limit, after_id)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
