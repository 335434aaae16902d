"""InfluxDB killed (SIGKILL) mid-stream and restarted on the same data dir: every event lands exactly once.

The outage lasts OUTAGE_S seconds (env HA_INGESTOR_INFLUX_OUTAGE_S, default 20) while events keep
arriving at RATE per second through the real pipeline and store.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.config import InfluxConfig
from core.influx.breaker import SenderTimings
from core.influx.sender import InfluxSender
from core.influx.status import InfluxState
from tests.influx_servers import InfluxdServer, Stack, ha_event, influx_counts, wait_until

OUTAGE_S = float(os.environ.get("HA_INGESTOR_INFLUX_OUTAGE_S", "20"))
RATE = 500  # events per second
TICK_S = 0.05
ENTITIES = 25
TIMINGS = SenderTimings(backoff_initial_s=0.2, backoff_max_s=1.0, open_s=2.0, idle_poll_s=0.05)

pytestmark = [pytest.mark.influx, pytest.mark.slow, pytest.mark.timeout(90 + 2 * OUTAGE_S)]


class Producer:
    """Submits RATE events/s (distinct times per entity) until stopped."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.sent = 0
        self.t0 = datetime.now(UTC) - timedelta(hours=1)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        per_tick = int(RATE * TICK_S)
        while True:
            for _ in range(per_tick):
                i = self.sent
                when = self.t0 + timedelta(milliseconds=i)
                self.stack.pipeline.submit(ha_event(f"sensor.e{i % ENTITIES}", f"{i % 1000 / 10}", when))
                self.sent += 1
            await asyncio.sleep(TICK_S)

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.stack.pipeline.flush()


async def test_sigkill_outage_then_exactly_once(
    influxd_factory: Callable[..., InfluxdServer], tmp_path: Path
) -> None:
    server = influxd_factory()
    stack = await Stack(tmp_path / "data").open()
    config = InfluxConfig(enabled=True, url=server.url, database="outage", batch_size=5000)
    sender = InfluxSender(config, stack.store, stack.bus, timings=TIMINGS)
    producer = Producer(stack)
    try:
        await sender.start()
        producer.start()
        await wait_until(lambda: sender.influx_status().written_total > RATE, "first points written")
        server.kill()  # SIGKILL: nothing flushed, nothing said
        await wait_until(
            lambda: sender.influx_status().state != InfluxState.OK, "the sender notices the outage"
        )
        await asyncio.sleep(OUTAGE_S)
        during = sender.influx_status()
        assert during.state in (InfluxState.BACKING_OFF, InfluxState.CIRCUIT_OPEN)
        server.start()  # same ports, same data dir
        await asyncio.sleep(3)
        await producer.stop()
        await wait_until(lambda: _outbox_empty(stack), "outbox drained after the restart", timeout=60)
        await sender.stop()
        local = stack.local_counts()
        assert sum(local.values()) == producer.sent
        assert influx_counts(server, "outage") == local  # every event, exactly once
        assert sender.influx_status().state == InfluxState.OK
        assert during.outbox_depth > 0 and during.last_error
    finally:
        await sender.stop()
        await stack.close()


async def _outbox_empty(stack: Stack) -> bool:
    return int((await stack.store.outbox_stats())[0]) == 0
