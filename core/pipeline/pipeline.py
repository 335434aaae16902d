"""Pipeline: HA input -> validated, enriched rows -> batches -> the store's single writer.

    submit*()  --ingress deque-->  processor  --batches-->  memory queue | spill file  -->  writer
    (sync, O(1))                   (validate, enrich;        (bounded by queue_size;         (one batch
                                    cut at batch_size or      overflow goes to disk,          in flight)
                                    flush_interval_ms)        drained back in order)

The reader never awaits storage: submit() only appends. If the processor falls behind (the loop
is busy), submit processes inline once the ingress holds batch_size events, so ingress memory
stays bounded without ever blocking. Nothing is dropped silently: rejections are counted per
reason, and overflow goes to the spill file with a counter and a log line. A row the store
cannot write is quarantined (quarantine.py) and the rest of its batch lands; when writes keep
failing while events wait, the engine is FAILED, so health says storage has stopped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

from core.bus import Bus, Topic
from core.config import StorageConfig
from core.engine import EngineState, EngineStatus
from core.models import EventSource
from core.pipeline.enrich import RowBuilder
from core.pipeline.quarantine import QuarantineFile, is_row_error
from core.pipeline.registry import RegistryCache
from core.pipeline.spill import SpillFile
from core.pipeline.stats import LOG_PERIOD_S, PipelineStats, RateMeter
from core.pipeline.validate import Reason, Rejected
from core.ratelog import RateLimitedLog
from core.store.rows import StoreRow, WriteResult
from core.store.store import EventStore

_LOGGER = logging.getLogger(__name__)
SPILL_FILENAME = "pipeline-spill.jsonl"
QUARANTINE_FILENAME = "pipeline-quarantine.jsonl"
FAILED_AFTER_S = 15.0  # writes failing this long while events wait: storage has stopped
MAX_TXN_BATCHES = 10  # under load, up to this many batches are merged into one transaction
LATENCY_SAMPLES_PER_BATCH = 32
RETRY_DELAYS_S = (0.1, 0.5, 1.0, 2.0, 5.0)
STOP_ATTEMPTS = 3

_EVENT, _STATE, _HISTORY = 0, 1, 2
Pending = tuple[int, Any, Any, EventSource]  # (kind, payload, entity_id for history rows, source)


class Pipeline:
    name = "pipeline"

    def __init__(self, config: StorageConfig, store: EventStore, registry: RegistryCache, bus: Bus) -> None:
        self._config = config
        self._store = store
        self._registry = registry
        self._bus = bus
        self._builder = RowBuilder(registry, config.max_attributes_bytes)
        self._max_txn = config.batch_size * MAX_TXN_BATCHES
        self.stats = PipelineStats()
        self._rate = RateMeter()
        self._reasons = RateLimitedLog(_LOGGER, LOG_PERIOD_S)
        self._ingress: deque[Pending] = deque()
        self._batch: list[StoreRow] = []
        self._deadline: asyncio.TimerHandle | None = None
        self._queue: deque[list[StoreRow]] = deque()
        self._queued_rows = 0
        self._spill = SpillFile(store.path.parent / SPILL_FILENAME)
        self._spilling = False
        self._quarantine = QuarantineFile(store.path.parent / QUARANTINE_FILENAME)
        self.failed_after_s = FAILED_AFTER_S
        self._failing_since: float | None = None  # monotonic start of the current run of failed writes
        self._wake_processor = asyncio.Event()
        self._wake_writer = asyncio.Event()
        self._writing = False  # a commit is in flight
        self._in_flight = 0  # rows of that commit
        self._enqueued = 0  # rows handed to the write side (memory queue or spill) ...
        self._done = 0  # ... and of those, rows committed or found already stored
        self._flush_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._gave_up = False
        self._started_at: float | None = None
        self._last_error: str | None = None
        self._last_error_at: float | None = None
        registry.add_listener(store.schedule_registry_sync)

    # -- input (sync, never blocks, never raises) -----------------------------------------------

    def submit(self, raw_event: dict[str, Any], source: EventSource = EventSource.LIVE) -> None:
        """Queue the `event` object of a state_changed message."""
        self._accept((_EVENT, raw_event, None, source))

    def submit_state(self, state: dict[str, Any], source: EventSource) -> None:
        """Queue a bare state (get_states row); time_fired = its last_updated."""
        self._accept((_STATE, state, None, source))

    def submit_history_row(
        self, entity_id: str, row: dict[str, Any], source: EventSource = EventSource.BACKFILL
    ) -> None:
        """Queue a compressed history row {s, a?, lu, lc?}."""
        self._accept((_HISTORY, row, entity_id, source))

    def _accept(self, item: Pending) -> None:
        self.stats.received += 1
        self._ingress.append(item)
        try:
            if len(self._ingress) >= self._config.batch_size:
                self._process_ingress()  # the processor is behind: do its work now, bounded
            elif not self._wake_processor.is_set():
                self._wake_processor.set()
        except Exception:
            _LOGGER.exception("pipeline: processing failed")

    # -- processor ------------------------------------------------------------------------------

    async def _process_loop(self) -> None:
        while True:
            await self._wake_processor.wait()
            self._wake_processor.clear()
            self._process_ingress()

    def _process_ingress(self) -> None:
        items, self._ingress = self._ingress, deque()
        builder, batch, size = self._builder, self._batch, self._config.batch_size
        builder.keep_attributes = self._bus.subscriber_count(Topic.EVENTS_STORED) > 0
        for kind, payload, entity_id, source in items:
            try:
                if kind == _EVENT:
                    row = builder.from_event(payload, source)
                elif kind == _STATE:
                    row = builder.from_state(payload, source)
                else:
                    row = builder.from_history(entity_id, payload, source)
            except Rejected as rej:
                self._reject(rej.reason, rej.detail)
                continue
            except Exception as err:  # an odd shape the checks did not foresee
                self._reject(Reason.WRONG_TYPE, repr(err)[:200])
                continue
            batch.append(row)
            if len(batch) >= size:
                self._cut_batch()
                batch = self._batch
        if not self._batch:
            return
        if self._writer_idle():
            # Group commit: an idle writer takes the batch now, so at low rates latency is one
            # commit, not the flush interval; while it is busy, rows pile up into bigger batches.
            self._cut_batch()
        elif self._deadline is None:
            loop = asyncio.get_running_loop()
            self._deadline = loop.call_later(self._config.flush_interval_ms / 1000, self._on_deadline)

    def _writer_idle(self) -> bool:
        return not self._writing and not self._queue and not self._spill.pending

    def _reject(self, reason: Reason, detail: str) -> None:
        stats = self.stats
        stats.rejected += 1
        stats.rejected_by_reason[reason] = stats.rejected_by_reason.get(reason, 0) + 1
        self._reasons.warning(reason, "rejected event (%s): %s", reason, detail)

    def _on_deadline(self) -> None:
        self._deadline = None
        self._process_ingress()
        self._cut_batch()

    def _cut_batch(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        batch, self._batch = self._batch, []
        if batch:
            self._enqueue(batch)

    def _enqueue(self, batch: list[StoreRow]) -> None:
        self._enqueued += len(batch)
        # Once spilling, everything goes to the spill until it is drained: that keeps the order.
        if self._spill.pending or self._queued_rows + len(batch) > self._config.queue_size:
            self._to_spill(batch)
        else:
            self._queue.append(batch)
            self._queued_rows += len(batch)
        self._wake_writer.set()

    def _to_spill(self, batch: list[StoreRow]) -> None:
        if not self._spilling:
            self._spilling = True
            _LOGGER.warning(
                "storage is behind: queue full (%d rows), spilling to %s", self._queued_rows, self._spill.path
            )
        self._spill.append(batch)
        self.stats.spilled += len(batch)

    # -- writer ---------------------------------------------------------------------------------

    def _next_rows(self) -> list[StoreRow] | None:
        if self._queue:
            rows = self._queue.popleft()
            while self._queue and len(rows) + len(self._queue[0]) <= self._max_txn:
                rows = rows + self._queue.popleft()
            self._queued_rows -= len(rows)
            return rows
        if self._spill.pending:
            return self._spill.read(self._max_txn)
        return None

    async def _write_loop(self) -> None:
        while True:
            rows = self._next_rows()
            if rows is None:
                if self._stopping:
                    return
                self._wake_writer.clear()
                await self._wake_writer.wait()
                continue
            if rows:
                self._writing, self._in_flight = True, len(rows)
                try:
                    result = await self._write(rows)
                finally:
                    self._writing, self._in_flight = False, 0
                self._committed(rows, result)
                if self._gave_up:
                    return
                if not self._queue and not self._spill.pending:
                    self._process_ingress()  # what arrived during this commit goes next
            if not self._spill.pending and self._spill.has_data:
                self._spill.reset()
                if self._spilling:
                    self._spilling = False
                    _LOGGER.info("spill drained: storage caught up")

    async def _write(self, rows: list[StoreRow]) -> WriteResult:
        """Commit, retrying with back-off: a full disk or a locked file must not lose rows.

        When stopping and storage keeps failing, the rows go to the spill file instead, to be
        replayed at the next start, so that stop() always ends.
        """
        attempt = 0
        while True:
            try:
                result = await self._write_isolating(rows)
                self._failing_since = None
                return result
            except Exception as err:
                self.stats.write_errors += 1
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                self._last_error, self._last_error_at = f"{type(err).__name__}: {err}", time.time()
                if self._stopping and attempt >= STOP_ATTEMPTS:
                    self._give_up(rows, err)
                    return WriteResult([], 0)
                delay = RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)]
                _LOGGER.error("storing %d events failed (%s); retrying in %.1f s", len(rows), err, delay)
                attempt += 1
                await asyncio.sleep(delay)

    async def _write_isolating(self, rows: list[StoreRow]) -> WriteResult:
        """Write the rows; when a row's value makes the transaction fail, halve the batch until
        the failing rows are alone, quarantine those and store the rest."""
        try:
            return await self._store.write_events(rows)
        except Exception as err:
            if not is_row_error(err):
                raise
            if len(rows) == 1:
                self._quarantine_row(rows[0], err)
                return WriteResult([], 0)
        mid = len(rows) // 2
        first = await self._write_isolating(rows[:mid])
        second = await self._write_isolating(rows[mid:])
        return WriteResult(first.inserted + second.inserted, first.duplicates + second.duplicates)

    def _quarantine_row(self, row: StoreRow, err: Exception) -> None:
        self.stats.quarantined += 1
        self._last_error, self._last_error_at = f"quarantined a row: {type(err).__name__}: {err}", time.time()
        self._quarantine.append(row, err)
        self._reasons.warning(
            "quarantine", "the store cannot write a row of %s (%s); kept in %s, the rest is stored",
            row.entity_id, err, self._quarantine.path,
        )  # fmt: skip

    def _give_up(self, rows: list[StoreRow], err: Exception) -> None:
        """Stopping with storage failing: keep everything left in the spill for the next start."""
        left = [rows, *self._queue]
        self._queue.clear()
        self._queued_rows = 0
        if self._spill.pending:  # unread spill rows are older than the queue: keep them first
            left = [self._spill.read(self._spill.pending), *left]
            self._spill.reset_unread()
        for batch in left:
            self._spill.append(batch)
        _LOGGER.error(
            "storage failed at stop (%s): %d events kept in %s", err, self._spill.pending, self._spill.path
        )
        self._gave_up = True

    def _committed(self, rows: list[StoreRow], result: WriteResult) -> None:
        stats = self.stats
        stats.stored += len(result.inserted)
        stats.duplicates += result.duplicates
        stats.batches += 1
        self._done += len(rows)
        self._rate.add(stats.stored)
        self._refresh_depths()  # read directly by /metrics and the runtime's samples
        self._sample_latency(result.inserted)
        self._release_flush_waiters()
        if result.inserted and self._bus.subscriber_count(Topic.EVENTS_STORED):
            # Built only when someone listens: most of the cost of an event is here otherwise.
            self._bus.publish(Topic.EVENTS_STORED, [row.to_event() for _, row in result.inserted])

    def _sample_latency(self, inserted: list[tuple[int, StoreRow]]) -> None:
        now_us = time.time() * 1_000_000
        step = max(1, len(inserted) // LATENCY_SAMPLES_PER_BATCH)
        record = self.stats.record_latency
        for _, row in inserted[::step]:
            if row.source == EventSource.LIVE:
                record(max(0.0, (now_us - row.time_us) / 1000), step)

    def _release_flush_waiters(self) -> None:
        waiting = []
        for target, future in self._flush_waiters:
            if self._done >= target:
                if not future.done():
                    future.set_result(None)
            else:
                waiting.append((target, future))
        self._flush_waiters = waiting

    # -- engine ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Replay a spill left by a previous run, then start the processor and the writer."""
        self._stopping = self._gave_up = False
        self.stats.quarantined = await asyncio.to_thread(self._quarantine.count)
        replay = await asyncio.to_thread(self._spill.open)
        if replay:
            _LOGGER.warning("replaying %d spilled events from a previous run", replay)
            self._enqueued += replay
            self._spilling = True
        snap = self._registry.snapshot
        if snap.entities or snap.devices or snap.areas or snap.floors:
            self._store.schedule_registry_sync(snap)
        self._started_at = time.time()
        self._tasks = [
            asyncio.create_task(self._process_loop(), name="pipeline-processor"),
            asyncio.create_task(self._write_loop(), name="pipeline-writer"),
        ]

    async def flush(self) -> None:
        """Wait until everything submitted so far is committed (rollups included)."""
        self._process_ingress()
        self._cut_batch()
        target = self._enqueued
        if self._done < target:
            if not self._tasks:
                raise RuntimeError("pipeline is not running")
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._flush_waiters.append((target, future))
            await future
        await self._store.flush_rollups()

    async def stop(self) -> None:
        """Store everything queued, the spill included, then stop."""
        if not self._tasks:
            return
        processor, writer = self._tasks
        processor.cancel()
        await asyncio.gather(processor, return_exceptions=True)
        self._process_ingress()
        self._cut_batch()
        self._stopping = True
        self._wake_writer.set()
        await writer
        self._tasks = []
        self._started_at = None
        await asyncio.to_thread(self._spill.close)

    def _refresh_depths(self) -> None:
        self.stats.queue_depth = len(self._ingress) + len(self._batch) + self._queued_rows
        self.stats.spill_pending = self._spill.pending

    def status(self) -> EngineStatus:
        s = self.stats
        self._refresh_depths()
        failing_s = 0.0 if self._failing_since is None else time.monotonic() - self._failing_since
        dead = next((t for t in self._tasks if t.done() and not self._stopping), None)
        if not self._tasks:
            state, detail = EngineState.STOPPED, ""
        elif dead is not None:  # a bug ended it: nothing submitted from now on would be stored
            error = dead.exception() if not dead.cancelled() else None
            state, detail = EngineState.FAILED, f"{dead.get_name()} stopped: {error!r}"
        elif failing_s >= self.failed_after_s and (
            waiting := s.queue_depth + s.spill_pending + self._in_flight
        ):
            state = EngineState.FAILED
            detail = f"storage failing for {failing_s:.0f} s, {waiting} events not stored: {self._last_error}"
        elif s.spill_pending:
            state, detail = EngineState.DEGRADED, f"storage behind: {s.spill_pending} events spilled to disk"
        else:
            state, detail = EngineState.RUNNING, ""
        counters = {
            "received": s.received, "stored": s.stored, "duplicates": s.duplicates, "rejected": s.rejected,
            "spilled": s.spilled, "spill_pending": s.spill_pending, "queue_depth": s.queue_depth,
            "batches": s.batches, "write_errors": s.write_errors, "quarantined": s.quarantined,
        }  # fmt: skip
        if s.quarantined and state == EngineState.RUNNING:
            detail = f"{s.quarantined} rows the store could not write kept in {self._quarantine.path.name}"
        counters.update({f"rejected_{reason}": n for reason, n in s.rejected_by_reason.items()})
        rates = {"events_per_s": self._rate.rate()}
        for name, q in (("latency_p50_ms", 0.5), ("latency_p99_ms", 0.99)):
            value = s.latency_percentile(q)
            if value is not None:
                rates[name] = value
        return EngineStatus(
            name=self.name, state=state, detail=detail, started_at=self._started_at,
            last_error=self._last_error, last_error_at=self._last_error_at, errors=s.write_errors,
            rates=rates, counters=counters,
        )  # fmt: skip
