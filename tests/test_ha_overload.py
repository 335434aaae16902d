"""When HA drops a client that was delivering events (its back-pressure limit: the client fell
behind), the client comes back at the initial delay instead of backing off ever longer, once
storage has committed what the lost connection delivered. Backing off exponentially here is what
made ingest collapse under overload (bench/ingest.py: 0 events/s stored while waiting 16 s)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

from core.bus import Bus, Topic
from core.ha.client import ConnectionInfo, ConnState
from tests.ha_fixtures import FAST, RecordingSink, ha_config, running_client, running_sim, wait_for

# The connection never counts as long-lived and healthy: only the new rule can reset the backoff.
NEVER_HEALTHY = replace(FAST, healthy_after_s=3600.0)


def _retry_delays(bus: Bus) -> list[float]:
    delays: list[float] = []

    def on_info(info: ConnectionInfo) -> None:
        if info.state == ConnState.BACKING_OFF and info.next_retry_at is not None:
            delays.append((info.next_retry_at - datetime.now(UTC)).total_seconds())

    bus.subscribe(Topic.HA_CONNECTION, on_info)
    return delays


async def test_drops_of_a_streaming_connection_do_not_grow_the_backoff() -> None:
    async with running_sim(rate=200) as sim:
        bus, sink = Bus(), RecordingSink()
        delays = _retry_delays(bus)
        config = ha_config(sim, backoff_initial_s=0.1, backoff_max_s=5.0)
        async with running_client(config, sink, bus=bus, tuning=NEVER_HEALTHY) as client:
            for drop in range(1, 5):
                seen = len(sink.live)

                def streamed(seen: int = seen) -> bool:
                    return len(sink.live) > seen + 5

                def reconnected(drop: int = drop) -> bool:
                    return client.connection_info.reconnects == drop

                await wait_for(streamed, what=f"live events before drop {drop}")
                await sim.drop_connections()
                await wait_for(reconnected, what=f"reconnect {drop}")
    assert len(delays) == 4
    assert all(delay <= 0.1 * 1.15 for delay in delays), delays  # not 0.1, 0.2, 0.4, 0.8


async def test_failures_after_the_drop_still_back_off_exponentially() -> None:
    """Only a connection that delivered events resets the backoff: when HA is then unreachable,
    the attempts that follow back off as before."""
    async with running_sim(rate=200) as sim:
        bus, sink = Bus(), RecordingSink()
        delays = _retry_delays(bus)
        config = ha_config(sim, backoff_initial_s=0.1, backoff_max_s=5.0)
        async with running_client(config, sink, bus=bus, tuning=NEVER_HEALTHY):
            await wait_for(lambda: len(sink.live) > 5, what="live events")
            await sim.stop()  # HA goes away: the drop, then connection refused
            await wait_for(lambda: len(delays) >= 3, what="three retries")
    assert delays[0] <= 0.1 * 1.15, delays
    assert delays[1] >= 0.2 * 0.85 and delays[2] >= 0.4 * 0.85, delays


class SlowStorage(RecordingSink):
    """A sink whose flush (storage catching up) completes only when the test says so."""

    def __init__(self) -> None:
        super().__init__()
        self.caught_up = asyncio.Event()

    async def flush(self) -> None:
        self.flushes += 1
        await self.caught_up.wait()


async def test_reconnect_waits_for_storage_to_catch_up() -> None:
    async with running_sim(rate=200) as sim:
        sink = SlowStorage()
        sink.caught_up.set()  # until the drop, storage keeps up (the first sync's back-fill flushes)
        config = ha_config(sim, backoff_initial_s=0.05)
        async with running_client(config, sink, tuning=NEVER_HEALTHY) as client:
            await wait_for(lambda: client.connection_info.synced, what="sync")
            await wait_for(lambda: len(sink.live) > 5, what="live events")
            sink.caught_up.clear()
            flushes = sink.flushes
            await sim.drop_connections()
            await wait_for(lambda: sink.flushes > flushes, what="the catch-up flush")
            await asyncio.sleep(0.3)  # six times the reconnect delay
            assert client.connection_info.reconnects == 0
            assert client.connection_info.state == ConnState.BACKING_OFF
            sink.caught_up.set()
            await wait_for(lambda: client.connection_info.reconnects == 1, what="reconnect once caught up")
