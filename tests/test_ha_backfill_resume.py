"""A back-fill survives a restart, and a first connection imports recent history.

Real simulator, real pipeline and SQLite store. The simulator's recorder is given "probe" entities
whose history lies in the past (written with explicit times before any client connects), so the
rows a back-fill must bring are known exactly.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.config import ConfigError, HomeAssistantConfig, StorageConfig, load_config
from core.ha.backfill import Gap, choose_gap
from core.ha.backfill_state import INSTANCE_KEY, PENDING_KEY
from core.ha.client import ClientTuning, HAClient
from core.ha.simulator import Simulator
from core.models import EventSource
from core.store.codec import SOURCE_CODES, datetime_to_us
from tests.ha_fixtures import (
    FAST,
    Stack,
    eventually,
    ha_config,
    ingest_stack,
    running_sim,
    stored_rows,
    wait_for,
)

BACKFILL = SOURCE_CODES[EventSource.BACKFILL]
# Short slices, so a two-hour gap takes dozens of them and can be interrupted in the middle.
SLICED = replace(FAST, backfill_slice_s=120.0, backfill_first_slice_s=120.0, backfill_overlap_s=1.0)
Key = tuple[str, int]  # (entity_id, time_us) as the store keys events


def _storage(tmp_path: Path) -> StorageConfig:
    return StorageConfig(data_dir=str(tmp_path), flush_interval_ms=20)


def _client(stack: Stack, config: HomeAssistantConfig, tuning: ClientTuning = SLICED) -> HAClient:
    """A client as the runtime builds it: with the store's meta table."""
    last_stored = stack.store.queries.last_time_fired
    return HAClient(
        config, stack.pipeline, stack.registry, stack.bus, last_stored, meta=stack.store, tuning=tuning
    )


def _record_history(
    sim: Simulator, prefix: str, entities: int, start: datetime, rows: int, step_s: int, stagger_s: int
) -> set[Key]:
    """Give the recorder `entities` new entities, each with `rows` rows `step_s` apart from `start`
    (entity i `i * stagger_s` later); return their keys. The simulator keeps 64 rows of an unknown
    entity."""
    assert rows <= 64
    keys: set[Key] = set()
    for i in range(entities):
        entity_id = f"sensor.{prefix}_{i}"
        for k in range(rows):
            at = start + timedelta(seconds=k * step_s + i * stagger_s)
            assert sim.set_state(entity_id, f"{i}-{k}", {"unit_of_measurement": "W"}, at=at)
            keys.add((entity_id, datetime_to_us(at)))
    return keys


def _probe_rows(stack: Stack, prefix: str) -> list[tuple[str, int, int]]:
    return [r for r in stored_rows(stack.store.path) if r[0].startswith(f"sensor.{prefix}_")]


async def _synced(client: HAClient) -> None:
    await wait_for(lambda: client.connection_info.synced, 60, what="synced")


async def _connect_once(stack: Stack, config: HomeAssistantConfig) -> HAClient:
    """Connect, wait for the initial sync (back-fill included), disconnect."""
    client = _client(stack, config, FAST)
    await client.start()
    try:
        await _synced(client)
    finally:
        await client.stop()
    return client


def _whole_seconds_ago(seconds: int) -> datetime:
    return datetime.fromtimestamp(int(time.time()) - seconds, UTC)


# -- a back-fill interrupted by a restart ------------------------------------------------------


async def _pending(stack: Stack) -> datetime | None:
    value = await stack.store.get_meta(PENDING_KEY)
    return None if value is None else datetime.fromisoformat(value)


async def _well_under_way(stack: Stack, gap_start: datetime) -> datetime:
    """Wait until the persisted marker has moved 10 slices (20 minutes) into the gap; return it."""

    async def probe() -> datetime | None:
        mark = await _pending(stack)
        return mark if mark is not None and mark > gap_start + timedelta(minutes=20) else None

    return await eventually(probe, 60, what="the back-fill 10 slices in")


def _backfill_starts(caplog: pytest.LogCaptureFixture) -> list[datetime]:
    """Window starts of the completed back-fills (an interrupted one logs nothing). Parsed from the
    message: once core.logs is set up, its redacting record factory formats the args into it."""
    found = (re.match(r"back-filled \d+ rows from (\S+) to ", r.getMessage()) for r in caplog.records)
    return [datetime.fromisoformat(m.group(1)) for m in found if m]


async def test_backfill_interrupted_by_a_restart_resumes_from_the_last_slice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="core.ha.client")
    async with running_sim(rate=5) as sim:
        gap_start = _whole_seconds_ago(2 * 3600)
        # 8 entities x 60 rows, one row every 15 s over two hours: every 120 s slice stores rows.
        expected = _record_history(sim, "resume", 8, gap_start, 60, 120, 15)
        config = ha_config(sim)
        async with ingest_stack(tmp_path, _storage(tmp_path)) as stack:
            # The last event stored before the app was closed, 5 minutes before the gap. No
            # INSTANCE_KEY yet: a store from before the key existed counts as this HA's.
            before = gap_start - timedelta(minutes=5)
            stack.pipeline.submit_history_row(
                "sensor.resume_0", {"s": "old", "a": {}, "lu": before.timestamp()}
            )
            await stack.pipeline.flush()
            stack.store.before_write_hook = lambda: time.sleep(0.05)  # each slice's commit takes a while
            first = _client(stack, config)
            await first.start()
            await _well_under_way(stack, before)
            await first.stop()  # the app is closed mid back-fill
            marker = await _pending(stack)
            newest = await stack.store.queries.last_time_fired()
        assert marker is not None and marker < datetime.now(UTC) - timedelta(minutes=10), "not interrupted"
        assert newest is not None and newest > marker  # live events hide the unfilled part from last_stored
        async with ingest_stack(tmp_path, _storage(tmp_path)) as stack:  # the app starts again
            second = _client(stack, config)
            await second.start()
            await _synced(second)
            await second.stop()
            await stack.pipeline.flush()
            assert await _pending(stack) is None  # finished: nothing left to resume
            probe = _probe_rows(stack, "resume")
            everything = Counter((e, t) for e, t, _ in stored_rows(stack.store.path))
    stored = Counter((e, t) for e, t, _ in probe)
    assert set(stored) - {("sensor.resume_0", datetime_to_us(before))} == expected
    assert max(everything.values()) == 1  # every row exactly once
    # The second run resumed at the last completed slice (minus the overlap), not from scratch.
    assert _backfill_starts(caplog) == [marker - timedelta(seconds=SLICED.backfill_overlap_s)]


async def test_a_dropped_connection_mid_backfill_resumes_in_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="core.ha.client")
    async with running_sim(rate=5) as sim, ingest_stack(tmp_path, _storage(tmp_path)) as stack:
        gap_start = _whole_seconds_ago(2 * 3600)
        expected = _record_history(sim, "drop", 8, gap_start, 60, 120, 15)
        stack.pipeline.submit_history_row(
            "sensor.drop_0", {"s": "old", "a": {}, "lu": gap_start.timestamp() - 60}
        )
        await stack.pipeline.flush()
        stack.store.before_write_hook = lambda: time.sleep(0.05)
        client = _client(stack, ha_config(sim))
        await client.start()
        try:
            mark = await _well_under_way(stack, gap_start)
            await sim.drop_connections()
            await wait_for(lambda: client.connection_info.reconnects == 1, 30, what="reconnect")
            stack.store.before_write_hook = None
            await _synced(client)
        finally:
            await client.stop()
        await stack.pipeline.flush()
        assert await _pending(stack) is None
        stored = {(e, t) for e, t, _ in _probe_rows(stack, "drop")}
        assert expected <= stored
        # The slices done before the drop were not fetched again.
        starts = _backfill_starts(caplog)
        assert len(starts) == 1 and starts[0] >= mark - timedelta(seconds=SLICED.backfill_overlap_s)
        assert max(Counter((e, t) for e, t, _ in stored_rows(stack.store.path)).values()) == 1


# -- the first connection imports recent history -----------------------------------------------


def _history_two_hours(sim: Simulator, prefix: str) -> tuple[set[Key], datetime]:
    """3 entities x 40 rows, one every 3 minutes per entity, over the last two hours; no row lies
    within a minute of one hour ago (the import's boundary, which moves a little during the test)."""
    start = _whole_seconds_ago(2 * 3600 - 90)
    keys = _record_history(sim, prefix, 3, start, 40, 180, 10)
    cutoff = datetime.now(UTC) - timedelta(hours=1)
    assert all(abs(t - datetime_to_us(cutoff)) > 60_000_000 for _, t in keys)
    return keys, cutoff


async def test_first_connection_imports_the_last_initial_backfill_hours(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="core.ha.client")
    async with running_sim(rate=5) as sim, ingest_stack(tmp_path, _storage(tmp_path)) as stack:
        keys, cutoff = _history_two_hours(sim, "fresh")
        await _connect_once(stack, ha_config(sim, initial_backfill_hours=1.0))
        await stack.pipeline.flush()
        rows = _probe_rows(stack, "fresh")
        assert await stack.store.get_meta(INSTANCE_KEY) == sim.url
        assert await _pending(stack) is None
    recent = {k for k in keys if k[1] > datetime_to_us(cutoff)}
    stored = Counter((e, t) for e, t, _ in rows)
    assert set(stored) == recent and max(stored.values()) == 1  # the last hour, nothing older
    latest = {max(t for e, t in keys if e == entity) for entity, _ in keys}
    assert all(source == BACKFILL for _, t, source in rows if t not in latest)  # the latest: get_states
    imported = [r.getMessage() for r in caplog.records if r.getMessage().startswith("imported")]
    assert len(imported) == 1 and "of the last 1 h of Home Assistant history" in imported[0]


async def test_initial_backfill_hours_zero_imports_nothing(tmp_path: Path) -> None:
    async with running_sim(rate=5) as sim, ingest_stack(tmp_path, _storage(tmp_path)) as stack:
        keys, _ = _history_two_hours(sim, "none")
        client = await _connect_once(stack, ha_config(sim, initial_backfill_hours=0.0))
        await stack.pipeline.flush()
        rows = stored_rows(stack.store.path)
    latest = {(e, max(t for x, t in keys if x == e)) for e, _ in keys}
    assert {(e, t) for e, t, _ in rows if e.startswith("sensor.none_")} == latest  # get_states only
    assert client.backfill_totals.requests == 0 and not [r for r in rows if r[2] == BACKFILL]


async def test_events_of_another_ha_do_not_stop_the_first_import(tmp_path: Path) -> None:
    """A new user runs the demo home first: its events are stored, then the real HA is connected."""
    async with ingest_stack(tmp_path, _storage(tmp_path)) as stack:
        async with running_sim(rate=20) as demo:
            client = _client(stack, ha_config(demo), FAST)
            await client.start()
            await _synced(client)
            await wait_for(lambda: stack.pipeline.stats.stored > 20, what="demo events stored")
            await client.stop()
        async with running_sim(rate=5, seed=2) as home:
            keys, cutoff = _history_two_hours(home, "real")
            await _connect_once(stack, ha_config(home, initial_backfill_hours=1.0))
            await stack.pipeline.flush()
            assert await stack.store.get_meta(INSTANCE_KEY) == home.url
            stored = {(e, t) for e, t, _ in _probe_rows(stack, "real")}
    assert stored == {k for k in keys if k[1] > datetime_to_us(cutoff)}


# -- the parts ---------------------------------------------------------------------------------


def test_choose_gap_prefers_an_unfinished_backfill_and_imports_when_nothing_is_stored() -> None:
    now = datetime(2026, 8, 20, 12, tzinfo=UTC)
    stored, pending = now - timedelta(minutes=5), now - timedelta(hours=2)
    assert choose_gap(stored, None, now, 24, 24) == Gap(stored, 24)
    assert choose_gap(stored, pending, now, 24, 24) == Gap(pending, 24)  # live rows hide the rest
    assert choose_gap(pending, stored, now, 24, 24) == Gap(pending, 24)  # an older stored row wins
    assert choose_gap(None, None, now, 24, 6) == Gap(now - timedelta(hours=6), 6, initial=True)
    assert choose_gap(None, None, now, 24, 0) is None
    assert choose_gap(stored, None, now, 0, 24) is None
    # An interrupted 48 h first import keeps its own limit; a long gap is clamped to the limit.
    assert choose_gap(stored, now - timedelta(hours=40), now, 24, 48) == Gap(now - timedelta(hours=40), 48)
    assert choose_gap(now - timedelta(days=9), None, now, 24, 24) == Gap(now - timedelta(hours=24), 24)


def test_initial_backfill_hours_is_validated_like_backfill_max_hours(tmp_path: Path) -> None:
    assert HomeAssistantConfig().initial_backfill_hours == 24.0
    toml = tmp_path / "config.toml"
    toml.write_text("[home_assistant]\ninitial_backfill_hours = 0\n")
    assert load_config(toml, env={}).home_assistant.initial_backfill_hours == 0.0
    for bad in ("-1", "721", '"lots"'):
        toml.write_text(f"[home_assistant]\ninitial_backfill_hours = {bad}\n")
        with pytest.raises(ConfigError) as err:
            load_config(toml, env={})
        assert err.value.key == "home_assistant.initial_backfill_hours"
