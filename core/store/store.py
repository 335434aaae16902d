"""EventStore: the SQLite store with its single writer task and its read side (`queries`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from core.config import StorageConfig
from core.engine import EngineState, EngineStatus
from core.fileperm import private_file
from core.models import EnrichedEvent, RegistrySnapshot
from core.store import outbox
from core.store.codec import datetime_to_us
from core.store.decode import Lookups
from core.store.event_writer import write_events
from core.store.keys import KeyCaches
from core.store.metadata import sync_registry
from core.store.outbox import QuarantineEntry
from core.store.queries import EventQueries
from core.store.read_process import ReadProcess
from core.store.readers import ReadPool
from core.store.retention import (
    Chunker,
    RetentionResult,
    delete_attributes,
    delete_events,
    delete_quarantine,
    delete_rollups,
)
from core.store.rollup_state import RollupState, catch_up
from core.store.rows import StoreRow, WriteResult
from core.store.schema import apply_pragmas, migrate
from core.store.writer import SqliteWriter, transaction

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")
DB_FILENAME = "events.sqlite3"
DAY_US = 86_400_000_000
RETENTION_PERIOD_S = 86_400.0


def _db_size(path: Path) -> int:
    total = 0
    for suffix in ("", "-wal"):
        with contextlib.suppress(OSError):
            total += os.stat(f"{path}{suffix}").st_size
    return total


class EventStore:
    """Open with `await EventStore.open(data_dir)`; every write goes through one writer task."""

    def __init__(self, path: Path, config: StorageConfig, outbox_enabled: bool) -> None:
        self.path = path
        self.config = config
        self._outbox_enabled = outbox_enabled
        self._caches = KeyCaches()
        self._rollups = RollupState()
        self._writer = SqliteWriter(path, self._setup, periodic=self._flush_rollups)
        self._reads = ReadPool(path)
        self._lookups = Lookups()
        self.queries = EventQueries(self._reads, self._lookups, path)
        self.read_process = ReadProcess(path, self.queries.run_read)
        self._background: set[asyncio.Future[Any]] = set()
        self._retention_task: asyncio.Task[None] | None = None
        self.migrated_from: int | None = None
        self._pending_registry: RegistrySnapshot | None = None
        # Runs in the writer thread before every event batch; tests use it to slow storage down.
        self.before_write_hook: Callable[[], None] | None = None
        self.opened_at: float | None = None  # wall clock; the Services tab shows the store's uptime
        self._retention_error: tuple[str, float] | None = None

    @classmethod
    async def open(
        cls,
        data_dir: Path,
        *,
        outbox_enabled: bool = False,
        config: StorageConfig | None = None,
        retention: bool = True,
    ) -> EventStore:
        """Open (creating and migrating) `data_dir/events.sqlite3`; start daily retention if asked."""
        # The home's history (locks, presence): this user only, -wal/-shm included (core/fileperm.py).
        await asyncio.to_thread(private_file, data_dir / DB_FILENAME, sqlite=True)
        store = cls(data_dir / DB_FILENAME, config or StorageConfig(), outbox_enabled)
        try:
            await store._writer.start()
        except BaseException:
            await store._writer.close()
            await store._reads.close()
            raise
        if retention:
            store._retention_task = asyncio.create_task(store._retention_loop(), name="store-retention")
        store.opened_at = time.time()
        return store

    def _setup(self, conn: sqlite3.Connection) -> None:
        apply_pragmas(conn)
        self.migrated_from = migrate(conn)
        self._caches.reload(conn)
        caught_up = catch_up(conn)
        if caught_up:
            _LOGGER.warning("rollups: folded in %d events committed before an unclean shutdown", caught_up)

    async def close(self) -> None:
        """Finish every queued write, checkpoint, close all connections."""
        if self._retention_task is not None:
            self._retention_task.cancel()
            await asyncio.gather(self._retention_task, return_exceptions=True)
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        with contextlib.suppress(RuntimeError):  # the writer did not start
            await self.flush_rollups()
        self.read_process.close()
        await self._writer.close()
        await self._reads.close()

    # -- events -------------------------------------------------------------------------------

    @property
    def outbox_enabled(self) -> bool:
        return self._outbox_enabled

    async def set_outbox_enabled(self, enabled: bool) -> None:
        """Batches queued after this call do (or do not) fill influx_outbox (ordered by the writer)."""

        def command(_conn: sqlite3.Connection) -> None:
            self._outbox_enabled = enabled

        await self._writer.run(command)

    def status(self) -> EngineStatus:
        """The store as the Services tab shows it: writer queue, pending rollups, file size."""
        running = self._writer.running
        counters = {
            "writer_queue": self._writer.pending,
            "rollup_pending": self._rollups.pending_rows,
            "size_bytes": _db_size(self.path),
            "outbox": int(self._outbox_enabled),
        }
        state = EngineState.RUNNING if running else EngineState.STOPPED
        failed = self._retention_error
        if running and failed is not None:
            state = EngineState.DEGRADED  # storing works, but old data is not being removed
        return EngineStatus(
            name="sqlite",
            state=state,
            detail=str(self.path) if failed is None else f"{failed[0]} ({self.path})",
            started_at=self.opened_at if running else None,
            last_error=failed[0] if failed else None,
            last_error_at=failed[1] if failed else None,
            counters=counters,
        )

    async def write_events(self, rows: Sequence[StoreRow]) -> WriteResult:
        """Commit a batch (one transaction: events, outbox, rollups); duplicates are skipped."""
        hook = self.before_write_hook
        if self._pending_registry is not None:
            snapshot, self._pending_registry = self._pending_registry, None
            self.schedule_registry_sync(snapshot)

        def command(conn: sqlite3.Connection) -> WriteResult:
            if hook is not None:
                hook()
            return write_events(conn, self._caches, self._rollups, rows, outbox=self._outbox_enabled)

        return await self._writer.run(command)

    async def flush_rollups(self) -> None:
        """Fold pending rollup deltas into the tables now (they are otherwise at most ~1 s behind)."""
        await self._writer.run(self._flush_rollups)

    def _flush_rollups(self, conn: sqlite3.Connection) -> None:
        if self._rollups.pending_rows:
            with transaction(conn):
                self._rollups.flush(conn)

    # -- registry -----------------------------------------------------------------------------

    async def sync_registry(self, snapshot: RegistrySnapshot) -> None:
        now = int(time.time() * 1_000_000)
        await self._writer.run(lambda conn: sync_registry(conn, snapshot, now))

    def schedule_registry_sync(self, snapshot: RegistrySnapshot) -> None:
        """Queue a metadata sync without waiting (called from RegistryCache.update)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop (a sync caller): sync before the next event batch
            self._pending_registry = snapshot
            return
        self._track(asyncio.ensure_future(self.sync_registry(snapshot)), "registry sync")

    def _track(self, future: asyncio.Future[Any], what: str) -> None:
        self._background.add(future)

        def done(f: asyncio.Future[Any]) -> None:
            self._background.discard(f)
            if not f.cancelled() and f.exception() is not None:
                _LOGGER.error("%s failed", what, exc_info=f.exception())

        future.add_done_callback(done)

    # -- outbox for the InfluxDB sender --------------------------------------------------------

    async def read_outbox_batch(self, limit: int) -> list[tuple[int, EnrichedEvent]]:
        """Oldest first: (event id, event) of events committed and not yet acked."""
        return await self._reads.run(lambda conn: outbox.read_batch(conn, self._lookups, limit))

    async def ack_outbox(self, ids: Sequence[int]) -> int:
        ids = list(ids)
        return await self._writer.run(lambda conn: outbox.ack(conn, ids))

    async def outbox_stats(self) -> tuple[int, datetime | None]:
        """(depth, time_fired of the oldest queued event or None)."""
        return await self._reads.run(outbox.stats)

    async def drop_oldest_outbox(self, n: int) -> int:
        return await self._writer.run(lambda conn: outbox.drop_oldest(conn, n))

    async def quarantine(self, event_ids: Sequence[int], error: str) -> int:
        """Record the events as unsendable and take them out of the outbox."""
        ids = list(event_ids)
        return await self._writer.run(lambda conn: outbox.quarantine(conn, ids, error))

    async def list_quarantine(self, limit: int = 100) -> list[QuarantineEntry]:
        return await self._reads.run(lambda conn: outbox.list_quarantine(conn, limit))

    async def quarantine_count(self) -> int:
        """How many points were quarantined (InfluxDB refused them for good)."""
        return await self._reads.run(outbox.quarantined)

    # -- meta key/value ------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        row = await self._reads.run(
            lambda c: c.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        )
        return None if row is None else str(row[0])

    async def set_meta(self, key: str, value: str | None) -> None:
        """Set (or with None delete) a key."""

        def command(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if value is None:
                    conn.execute("DELETE FROM meta WHERE key = ?", (key,))
                else:
                    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

        await self._writer.run(command)

    # -- retention ------------------------------------------------------------------------------

    async def _retention_loop(self) -> None:
        while True:
            try:
                result = await self.run_retention()
                _LOGGER.info("retention: %s", result)
                self._retention_error = None
            except Exception as err:  # the store shows it (degraded) until a later pass succeeds
                self._retention_error = (f"retention failed: {type(err).__name__}: {err}", time.time())
                _LOGGER.exception("retention failed")
            await asyncio.sleep(RETENTION_PERIOD_S)

    async def run_retention(self, now: datetime | None = None) -> RetentionResult:
        """Delete what is past its retention, in small writer steps (each about 25 ms)."""
        now_us = datetime_to_us(now) if now is not None else int(time.time() * 1_000_000)
        cfg, result = self.config, RetentionResult()
        cutoff = now_us - cfg.retention_days * DAY_US
        cut_5m = (now_us - cfg.rollup_5m_days * DAY_US) // 1_000_000
        cut_1h = (now_us - cfg.rollup_1h_days * DAY_US) // 1_000_000
        result.events = await self._chunked(result, delete_events, cutoff)
        result.rollup_5m = await self._chunked(result, delete_rollups, "rollup_5m", cut_5m)
        result.rollup_1h = await self._chunked(result, delete_rollups, "rollup_1h", cut_1h)
        start_id = 0
        while start_id >= 0:
            (deleted, start_id), _ = await self._timed(
                result, delete_attributes, self._caches, cutoff, start_id
            )
            result.attributes += deleted
        result.quarantine, _ = await self._timed(result, delete_quarantine, cutoff)
        return result

    async def _chunked(self, result: RetentionResult, fn: Callable[..., int], *args: Any) -> int:
        """Repeat `fn(conn, *args, chunk)` until it deletes nothing, adapting the chunk size."""
        chunker, total = Chunker(), 0
        while True:
            size = chunker.size
            n, elapsed = await self._timed(result, fn, *args, size)
            if n == 0:
                return total
            total += n
            chunker.observe(elapsed, n)

    async def _timed(self, result: RetentionResult, fn: Callable[..., T], *args: Any) -> tuple[T, float]:
        """Run one retention step in the writer; return its value and its time in the writer."""

        def command(conn: sqlite3.Connection) -> tuple[T, float]:
            started = time.perf_counter()
            value = fn(conn, *args)
            return value, time.perf_counter() - started

        value, elapsed = await self._writer.run(command)
        result.steps += 1
        result.max_step_ms = max(result.max_step_ms, elapsed * 1000)
        return value, elapsed
