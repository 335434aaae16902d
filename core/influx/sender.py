"""InfluxSender, the "influxdb" engine: drains the store's durable outbox into InfluxDB, oldest first.

One loop drains the outbox oldest first in batch_size POSTs, two in flight: the next batch is read
and encoded while InfluxDB works on the previous one. What the server rejected for good is
quarantined, the rest acked, and the loop yields after every batch. Connection failures back
off (1 s, 2 s, ...) and open a circuit breaker after 3 in a row (half-open probe after 60 s);
401/403 park the sender in auth_error and a wrong API version in wrong_version, both retried
slowly with everything kept. A ticker publishes the status on Topic.INFLUX_STATUS every second
and enforces outbox_max_bytes.
stop() keeps draining for up to drain_on_shutdown_s; what is left goes out on the next start.

An empty outbox is re-read every idle_poll_s (0.25 s). The sender does not subscribe to
Topic.EVENTS_STORED for wake-ups on purpose: any subscriber makes the pipeline build an
EnrichedEvent per stored row, the most expensive part of an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from core.bus import Bus, Topic
from core.config import InfluxConfig
from core.engine import EngineStatus
from core.influx.breaker import Breaker, SenderTimings
from core.influx.errors import AuthRejected, InfluxError, PointsRejected, WrongApiVersion
from core.influx.isolate import Delivery, Pending, isolate
from core.influx.line import LineEncoder, join_lines
from core.influx.outbox import OutboxCap, OutboxReader, OutboxStore, age_s
from core.influx.status import InfluxState, InfluxStatus, RateMeter, engine_status
from core.influx.writer import InfluxWriter, Series, make_writer
from core.models import EnrichedEvent

log = logging.getLogger(__name__)

# The weather_* fields for events fired at these times (DataSourcesEngine.weather_for), or None.
WeatherFor = Callable[[Sequence[datetime]], Awaitable[Sequence[Mapping[str, Any]] | None]]
ENCODE_CHUNK = 1000  # events encoded between two yields to the loop
IN_FLIGHT = 2  # POSTs of batch_size points in flight (influxd absorbs ~2x more: docs/perf-limits.md §5)


class InfluxSender:
    name = "influxdb"

    def __init__(
        self,
        config: InfluxConfig,
        store: OutboxStore,
        bus: Bus | None = None,
        *,
        writer: InfluxWriter | None = None,
        timings: SenderTimings | None = None,
        weather: WeatherFor | None = None,
    ) -> None:
        self._config = config
        self._store = store
        self._bus = bus
        self._writer = writer or make_writer(config)
        self._timings = timings or SenderTimings()
        self._encoder = LineEncoder(config.measurement)
        self._weather = weather  # the weather_* fields at each event's time (data sources), if any
        self._breaker = Breaker(self._timings)
        self._cap = OutboxCap(config.outbox_max_bytes)
        self._reader = OutboxReader(store)
        self._state = InfluxState.OK if config.enabled else InfluxState.DISABLED
        self._prepared = False
        self._stopping = False
        self._deadline = 0.0
        self._kicked = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._depth = 0
        self._oldest: datetime | float | None = None
        self._written = self._quarantined = self._errors = 0
        self._rate = RateMeter()
        self._started_at: float | None = None
        self._last_error: str | None = None
        self._last_error_at: float | None = None
        self._last_success_at: float | None = None
        self._next_retry_at: float | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        if not self._config.enabled or self._task is not None:
            return
        self._started_at = time.time()
        self._stopping = False
        log.info("InfluxDB sender started: %s (api v%d)", self._writer.target, self._writer.api_version)
        self._task = asyncio.create_task(self._run(), name="influx-sender")
        self._ticker = asyncio.create_task(self._tick(), name="influx-status")

    async def stop(self) -> None:
        """Drain for up to drain_on_shutdown_s (unless InfluxDB is known to be down), then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._deadline = asyncio.get_running_loop().time() + self._config.drain_on_shutdown_s
        self.retry_now()
        before = self._written
        try:
            await asyncio.wait_for(asyncio.shield(self._task), self._config.drain_on_shutdown_s)
        except TimeoutError:
            await _cancel(self._task)
        await _cancel(self._ticker)
        self._task = self._ticker = None
        try:
            await self.check_outbox()
        except Exception as err:  # the last status then says so, instead of showing stale numbers
            self._record_error(f"outbox check at shutdown failed: {type(err).__name__}: {err}")
            log.warning("InfluxDB sender: outbox check at shutdown failed: %s", err)
        log.info("InfluxDB sender stopped: %d points sent while stopping, %d left in the outbox for the next "
                 "start", self._written - before, self._depth)  # fmt: skip
        self._publish()
        await self._writer.close()
        self._reader.close()

    def retry_now(self) -> None:
        """Cut the current wait short (the GUI's "retry now", config fixed, shutdown)."""
        self._kicked = True
        self._wake.set()

    # -- the drain loop ------------------------------------------------------------------------

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            delay = await self._attempt()
            if delay is None and self._stopping:
                return
            if delay is None:
                await self._sleep(self._timings.idle_poll_s)
            elif self._stopping and (
                self._state != InfluxState.BACKING_OFF or loop.time() + delay > self._deadline
            ):
                return  # InfluxDB is down: nothing more will drain before the deadline
            else:
                self._next_retry_at = time.time() + delay
                await self._sleep(delay)
                self._next_retry_at = None

    async def _attempt(self) -> float | None:
        """Drain the outbox. Returns None once it is empty, else the wait before the next try."""
        try:
            if not self._prepared:
                await self._writer.prepare()
                self._prepared = True
            await self._drain()
            self._succeeded()
            return None
        except AuthRejected as err:
            return self._blocked(InfluxState.AUTH_ERROR, err, self._timings.auth_retry_s)
        except WrongApiVersion as err:
            self._prepared = False
            return self._blocked(InfluxState.WRONG_VERSION, err, self._timings.wrong_version_retry_s)
        except InfluxError as err:
            return self._failed(err.message)
        except Exception as err:  # a store problem must not kill the engine: log it and back off
            log.exception("InfluxDB sender: unexpected error")
            return self._failed(f"{type(err).__name__}: {err}")

    async def _drain(self) -> None:
        """Send batches oldest first until a read comes back short; while up to IN_FLIGHT POSTs are
        in flight, the next batch is read and encoded (InfluxDB works on another core meanwhile)."""
        size = self._config.batch_size
        in_flight: deque[asyncio.Task[Delivery]] = deque()
        last_id: int | None = None
        more = True
        try:
            while more or in_flight:
                if more and len(in_flight) < IN_FLIGHT:
                    batch = await self._reader.read(size, last_id)
                    more = len(batch) == size
                    if batch:
                        last_id = batch[-1][0]
                        lines = await self._encode([ev for _, ev in batch])
                        self._cap.observe(lines)
                        in_flight.append(asyncio.create_task(self._deliver(batch, lines)))
                    continue
                await self._settle(await in_flight.popleft())
                await asyncio.sleep(0)  # live ingest and the store's writer get their turn
        except InfluxError:
            for result in await asyncio.gather(*in_flight, return_exceptions=True):
                if isinstance(result, Delivery):
                    await self._settle(result)  # ack what landed; the failed batch stays queued
            raise
        finally:
            for task in in_flight:
                task.cancel()

    async def _deliver(self, batch: list[tuple[int, EnrichedEvent]], lines: list[str]) -> Delivery:
        try:
            await self._writer.write(join_lines(lines))
        except PointsRejected as err:
            pending = [Pending(i, line, ev) for (i, ev), line in zip(batch, lines, strict=True)]
            return await isolate(self._writer.write, pending, err, 0)
        return Delivery(written=[event_id for event_id, _ in batch])

    async def _settle(self, delivery: Delivery) -> None:
        await self._quarantine(delivery.rejected)
        if delivery.written:
            await self._store.ack_outbox(delivery.written)
            self._count_written(len(delivery.written))
        self._succeeded()

    async def _encode(self, events: Sequence[EnrichedEvent]) -> list[str]:
        weather = await self._weather([ev.time_fired for ev in events]) if self._weather else None
        lines: list[str] = []
        for start in range(0, len(events), ENCODE_CHUNK):
            if start:
                await asyncio.sleep(0)
            chunk = events[start : start + ENCODE_CHUNK]
            lines += self._encoder.encode_many(
                chunk, None if weather is None else weather[start : start + ENCODE_CHUNK]
            )
        return lines

    async def _quarantine(self, rejected: list[tuple[list[int], str]]) -> None:
        by_reason: defaultdict[str, list[int]] = defaultdict(list)
        for ids, reason in rejected:
            by_reason[reason] += ids
        for reason, ids in by_reason.items():
            await self._store.quarantine(ids, reason)  # also takes them out of the outbox
            self._quarantined += len(ids)
            log.warning("InfluxDB rejected %d points for good; quarantined: %s", len(ids), reason)

    async def _sleep(self, timeout: float) -> None:
        if not self._kicked:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
        self._kicked = False

    # -- outcomes ------------------------------------------------------------------------------

    def _count_written(self, n: int) -> None:
        self._written += n
        self._rate.add(n)
        self._last_success_at = time.time()

    def _succeeded(self) -> None:
        self._breaker.on_success()
        if self._state != InfluxState.OK:
            log.info("InfluxDB writes work again (%s)", self._writer.target)
            self._set_state(InfluxState.OK)

    def _failed(self, message: str) -> float:
        delay = self._breaker.on_failure()
        state = InfluxState.CIRCUIT_OPEN if self._breaker.is_open else InfluxState.BACKING_OFF
        self._record_error(message)
        if state != self._state:
            log.warning(
                "InfluxDB write failed (%s); retrying in %.0f s; points stay in the outbox", message, delay
            )
            self._set_state(state)
        return delay

    def _blocked(self, state: InfluxState, err: InfluxError, delay: float) -> float:
        self._record_error(err.message)
        if state != self._state:
            log.error("InfluxDB: %s; points stay in the outbox; retrying every %.0f s", err.message, delay)
            self._set_state(state)
        return delay

    def _record_error(self, message: str) -> None:
        self._errors += 1
        self._last_error, self._last_error_at = message, time.time()

    def _set_state(self, state: InfluxState) -> None:
        self._state = state
        self._publish()
        if self._bus is not None:
            self._bus.publish(Topic.ENGINE_STATUS, self.status())

    # -- status --------------------------------------------------------------------------------

    async def _tick(self) -> None:
        while True:
            try:
                await self.check_outbox()
            except Exception as err:  # shown as the engine's last error, not only in the log
                self._record_error(f"outbox check failed: {type(err).__name__}: {err}")
                log.exception("InfluxDB sender: outbox check failed")
            self._publish()
            await asyncio.sleep(self._timings.status_interval_s)

    async def check_outbox(self) -> None:
        """Refresh depth and age, and drop the oldest points if the outbox is over outbox_max_bytes."""
        depth, oldest = await self._store.outbox_stats()
        excess = self._cap.excess(depth)
        if excess > 0:
            await self._store.drop_oldest_outbox(excess)
            self._cap.dropped(excess, depth)
            depth, oldest = await self._store.outbox_stats()
        self._depth, self._oldest = depth, oldest

    def _publish(self) -> None:
        if self._bus is not None:
            self._bus.publish(Topic.INFLUX_STATUS, self.influx_status())

    def influx_status(self) -> InfluxStatus:
        retry = self._next_retry_at
        return InfluxStatus(
            state=self._state,
            target=self._writer.target,
            api_version=self._writer.api_version,
            outbox_depth=self._depth,
            oldest_age_s=age_s(self._oldest),
            points_per_s=self._rate.rate(),
            written_total=self._written,
            quarantined_total=self._quarantined,
            dropped_total=self._cap.dropped_total,
            outbox_bytes_estimate=self._cap.estimate(self._depth),
            outbox_max_bytes=self._config.outbox_max_bytes,
            last_error=self._last_error,
            last_error_at=self._last_error_at,
            last_success_at=self._last_success_at,
            next_retry_in_s=None if retry is None else max(0.0, retry - time.time()),
        )

    def status(self) -> EngineStatus:
        return engine_status(
            self.influx_status(),
            running=self._task is not None,
            started_at=self._started_at,
            errors=self._errors,
        )

    async def query(self, influxql: str, *, epoch: str | None = "ns") -> list[Series]:
        """InfluxQL over /query on the configured server (every API version; see writer.py)."""
        return await self._writer.query(influxql, epoch=epoch)


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
