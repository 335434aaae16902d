"""End to end: simulator -> HAClient -> Pipeline -> SQLite, with the link broken in every way we know.

The simulator records every state_changed it emits; at the end each one must be in the store exactly
once, keyed by (entity_id, time_fired), whether it came live, from a get_states snapshot or only
through the history back-fill. The only stored rows that are not emitted events may be the
simulator's initial states (seeded silently at its start, so they are in get_states and in the
recorder but were never fired); any other row HA never emitted (e.g. a synthetic history start row
at the requested start_time) is a failure.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from core.config import StorageConfig
from core.ha.client import HAClient
from core.ha.simulator import Simulator, clock
from core.models import EventSource
from core.store.codec import SOURCE_CODES
from tests.ha_fixtures import (
    FAST,
    Stack,
    emitted_keys,
    ha_config,
    ingest_stack,
    running_sim,
    stored_rows,
    wait_for,
)

pytestmark = pytest.mark.slow

RATE = 300.0
# Like HA's recorder (commit_interval 5 s, shortened): rows of the last second are not queryable
# yet, so the client's back-fill must wait for them.
COMMIT_INTERVAL_S = 1.0
# A short overlap keeps the window inside the recorder run, so HA sends its synthetic start rows.
TUNING = replace(FAST, backfill_delay_s=COMMIT_INTERVAL_S + 0.5, backfill_overlap_s=1.0, healthy_after_s=0.5)


def _storage(tmp_path: Path) -> StorageConfig:
    return StorageConfig(data_dir=str(tmp_path), flush_interval_ms=20)


async def _synced(client: HAClient, reconnects: int) -> None:
    await wait_for(
        lambda: client.connection_info.reconnects == reconnects and client.connection_info.synced,
        30,
        what=f"synced after {reconnects} reconnects",
    )


async def _emit(sim: Simulator, n: int) -> None:
    target = sim.events_emitted + n
    await wait_for(lambda: sim.events_emitted >= target, 30, what=f"{n} more events emitted")


def _seed_time_us(sim: Simulator) -> int:
    """When the simulator seeded its initial states (= its first recorder run's start)."""
    seeded = sim.home.history.run_start_before(clock.now_us() + 1)
    assert seeded is not None
    return seeded


async def _assert_exactly_once(sim: Simulator, stack: Stack, seed_us: int) -> Counter[int]:
    """Stop the stream, wait for the store to hold every emitted event, check nothing else got in.

    Counted from the first live event on: what HA fired before the client's very first subscription
    is only in get_states if the entity did not change again (with an empty store there is no gap
    to back-fill), exactly as with a real HA.
    """
    sim.pause()
    emitted = Counter(emitted_keys(sim))
    assert max(emitted.values()) == 1  # the simulator never fires two changes of one entity in one µs
    await stack.pipeline.flush()
    live = SOURCE_CODES[EventSource.LIVE]
    since = min(t for _, t, source in stored_rows(stack.store.path) if source == live)
    expected = {k for k in emitted if k[1] >= since}

    def all_stored() -> bool:
        return expected <= {(e, t) for e, t, _ in stored_rows(stack.store.path)}

    try:
        await wait_for(all_stored, 30, what="every emitted event in the store")
    except AssertionError:
        raise AssertionError(_explain_missing(sim, stack, expected)) from None
    rows = stored_rows(stack.store.path)
    keys = Counter((e, t) for e, t, _ in rows)
    assert max(keys.values()) == 1
    phantoms = [r for r in rows if (r[0], r[1]) not in emitted and r[1] != seed_us]
    assert not phantoms, f"stored rows HA never emitted: {phantoms[:5]}"
    assert stack.pipeline.stats.rejected == 0
    return Counter(source for e, t, source in rows if (e, t) in expected)


def _explain_missing(sim: Simulator, stack: Stack, emitted: set[tuple[str, int]]) -> str:
    rows = stored_rows(stack.store.path)
    stored = {(e, t) for e, t, _ in rows}
    missing = sorted((t, e) for e, t in set(emitted) - stored)
    first, last = clock.iso(missing[0][0]), clock.iso(missing[-1][0])
    live = [t for _, t, source in rows if source == SOURCE_CODES[EventSource.LIVE]]
    return (
        f"first live event at {clock.iso(min(live)) if live else None}; "
        f"{len(missing)} of {len(emitted)} emitted events not stored, from {first} to {last}; "
        f"e.g. {missing[:3]}; disconnects: {sim.disconnect_reasons}; pipeline: {stack.pipeline.stats}"
    )


async def test_no_event_lost_or_doubled_across_drops_and_a_stopped_client(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The client's gap and back-fill lines, shown only if the test fails.
    caplog.set_level(logging.DEBUG, logger="core.ha.client")
    caplog.set_level(logging.INFO, logger=__name__)
    sim_config = {"rate": RATE, "record": True, "history_commit_interval": COMMIT_INTERVAL_S}
    async with running_sim(**sim_config) as sim, ingest_stack(tmp_path, _storage(tmp_path)) as stack:
        seed_us = _seed_time_us(sim)
        config = ha_config(sim, backoff_initial_s=0.2)
        first = stack.client(config, TUNING)
        await first.start()
        await _synced(first, 0)
        await _emit(sim, 300)
        await sim.drop_connections()  # mid-stream, no close frame
        await _synced(first, 1)
        await _emit(sim, 300)
        await first.stop()
        # The client is gone while HA goes on: these events exist only in HA's recorder now.
        gap_start = sim.events_emitted
        await _emit(sim, 600)
        gap = set(emitted_keys(sim)[gap_start:])
        second = stack.client(config, TUNING)
        await second.start()
        await _synced(second, 0)
        await _emit(sim, 300)
        sources = await _assert_exactly_once(sim, stack, seed_us)
        await second.stop()
        gap_sources = Counter(s for e, t, s in stored_rows(stack.store.path) if (e, t) in gap)
    assert sources[SOURCE_CODES[EventSource.LIVE]] > 0
    assert set(gap_sources) <= {SOURCE_CODES[EventSource.BACKFILL], SOURCE_CODES[EventSource.SNAPSHOT]}
    assert gap_sources[SOURCE_CODES[EventSource.BACKFILL]] > 0
    assert second.backfill_totals.start_rows > 0  # HA's synthetic start rows were seen and skipped


async def test_no_event_lost_or_doubled_across_an_ha_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="core.ha.client")
    caplog.set_level(logging.INFO, logger=__name__)
    sim_config = {"rate": RATE, "record": True, "history_commit_interval": COMMIT_INTERVAL_S}
    async with running_sim(**sim_config) as sim, ingest_stack(tmp_path, _storage(tmp_path)) as stack:
        seed_us = _seed_time_us(sim)
        client = stack.client(ha_config(sim, backoff_initial_s=0.2), TUNING)
        await client.start()
        await _synced(client, 0)
        await _emit(sim, 300)
        logging.getLogger(__name__).info("restarting HA")
        await sim.restart()  # all clients dropped, port closed for a while, then the start-up burst
        await _synced(client, 1)
        await sim.wait_started()
        await _emit(sim, 300)
        sources = await _assert_exactly_once(sim, stack, seed_us)
        await client.stop()
    assert sources[SOURCE_CODES[EventSource.LIVE]] > 0
