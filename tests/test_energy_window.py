"""Between refreshes the energy engine reads only the rows stored since the last one: what it then
has must be exactly what reading the whole period again gives, late back-filled rows and a period
that moved on included, and the analysis must not change."""

from __future__ import annotations

import pickle
import random
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import orjson
import pytest

from core.config import EnergyConfig
from core.energy import reader, worker
from core.energy.engine import EnergyEngine
from core.energy.window import ReadPlan, WindowCache
from core.slots import Slot
from core.store import EventStore
from core.store.rows import NO_RESOLUTION, StoreRow

T0 = datetime(2026, 5, 1, tzinfo=UTC)
METER = {"unit_of_measurement": "kWh", "device_class": "energy", "state_class": "total_increasing",
         "friendly_name": "Grid import"}  # fmt: skip
POWER = {"unit_of_measurement": "W", "device_class": "power", "state_class": "measurement",
         "friendly_name": "House power"}  # fmt: skip
CONFIG = EnergyConfig(
    history_days=1, time_zone="UTC", mains_power="sensor.power", grid_import="sensor.import"
)
PLAN = ReadPlan(("sensor.import", "sensor.power"), ("switch.kettle",), ())


def at(minutes: float) -> int:
    return int((T0 + timedelta(minutes=minutes)).timestamp() * 1e6)


def row(eid: str, minutes: float, state: str, old: str | None, attrs: dict[str, object]) -> StoreRow:
    return StoreRow(
        eid, at(minutes), state, old, orjson.dumps(attrs), None, None, None,
        "LOCAL", "live", "state_changed", None, NO_RESOLUTION,
    )  # fmt: skip


def home(first: int, last: int, rng: random.Random) -> list[StoreRow]:
    """Minutes [first, last): a meter every 5 min, house power every minute, a kettle now and then."""
    rows = []
    for m in range(first, last):
        kettle_on = m % 37 < 3
        rows.append(row("sensor.power", m, f"{300 + 2000 * kettle_on + rng.random():.1f}", None, POWER))
        if m % 5 == 0:
            rows.append(row("sensor.import", m, f"{100 + m / 60:.4f}", None, METER))
        if m % 37 in (0, 3):
            state, old = ("on", "off") if kettle_on else ("off", "on")
            rows.append(row("switch.kettle", m + 0.5, state, old, {}))
        rows.append(
            row("switch.kettle", m + 0.7, "on" if kettle_on else "off", "on" if kettle_on else "off", {})
        )
    return rows


async def _full(store: EventStore, start_s: float) -> reader.Window:
    return await store.queries.run_read(
        lambda c: reader.read_window(c, PLAN.numeric, PLAN.switches, int(start_s * 1e6))
    )


async def _since(store: EventStore, start_s: float, after: int) -> reader.Window:
    return await store.queries.run_read(
        lambda c: reader.read_window(c, PLAN.numeric, PLAN.switches, int(start_s * 1e6), (), after)
    )


def _equal(a: reader.Window, b: reader.Window) -> bool:
    fields = [(a.numeric[e].ts, b.numeric[e].ts) for e in a.numeric] + [
        (a.numeric[e].value, b.numeric[e].value) for e in a.numeric
    ]
    fields += [
        (getattr(a.switches[e], f), getattr(b.switches[e], f))
        for e in a.switches
        for f in ("ts", "on", "was_on")
    ]
    return (
        set(a.numeric) == set(b.numeric)
        and set(a.switches) == set(b.switches)
        and all(np.array_equal(x, y, equal_nan=True) for x, y in fields)
    )


async def test_rows_added_since_the_last_read_equal_a_full_read(tmp_path: Path) -> None:
    rng = random.Random(3)
    store = await EventStore.open(tmp_path / "data", retention=False)
    try:
        await store.write_events(home(0, 600, rng))
        start = T0.timestamp() + 60 * 60
        cache = WindowCache()
        cache.replace(PLAN, start, await _full(store, start), 0.0)
        # New live rows, and rows HA's lagging recorder delivers late, in the middle of the period
        # (their rowids are newer than everything read, their times are not).
        late = [r for r in home(600, 900, rng) if 700 <= (r.time_us - at(0)) / 60e6 < 720]
        await store.write_events([r for r in home(600, 900, rng) if r not in late])
        await store.write_events(late)
        later_start = start + 3 * 3600  # the period moved on
        assert not cache.needs_full_read(PLAN, later_start, 60.0)
        cache.add(await _since(store, later_start, cache.last_id), later_start)
        end = T0.timestamp() + 850 * 60
        expected = WindowCache()
        expected.replace(PLAN, later_start, await _full(store, later_start), 0.0)
        assert _equal(cache.until(end), expected.until(end))
    finally:
        await store.close()


def test_a_new_plan_an_earlier_start_or_a_day_reads_the_whole_period_again() -> None:
    cache = WindowCache()
    assert cache.needs_full_read(PLAN, 1000.0, 0.0)
    cache.replace(PLAN, 1000.0, reader.Window({}, {}, 5), 0.0)
    assert not cache.needs_full_read(PLAN, 2000.0, 600.0)
    assert cache.needs_full_read(ReadPlan(("sensor.import",), (), ()), 2000.0, 600.0)
    assert cache.needs_full_read(PLAN, 500.0, 600.0)
    assert cache.needs_full_read(PLAN, 2000.0, 86_400.0)


async def test_a_later_refresh_reads_only_new_rows_and_analyses_the_same(tmp_path: Path) -> None:
    rng = random.Random(5)
    config = CONFIG
    store = await EventStore.open(tmp_path / "data", retention=False)
    try:
        await store.write_events(home(0, 1200, rng))
        engine = EnergyEngine(config, store)
        await engine.refresh(T0 + timedelta(minutes=1200))
        first_read = engine.status().counters["events_read_last"]
        await store.write_events(home(1200, 1260, rng))
        warm = await engine.refresh(T0 + timedelta(minutes=1260))
        assert 0 < engine.status().counters["events_read_last"] < first_read / 10
        cold = await EnergyEngine(config, store).refresh(T0 + timedelta(minutes=1260))
        assert (
            warm.attributions[0].estimate.confident
            and sum(c.value is not None for c in warm.consumption) > 70
        )
        assert warm.consumption == cold.consumption
        assert [asdict(a) for a in warm.attributions] == [asdict(a) for a in cold.attributions]
        assert warm.glance == cold.glance and warm.events_read == cold.events_read
    finally:
        await store.close()


async def test_rows_lost_with_the_read_process_are_read_whole_again(tmp_path: Path) -> None:
    rng = random.Random(9)
    config = CONFIG
    store = await EventStore.open(tmp_path / "data", retention=False)
    try:
        await store.write_events(home(0, 600, rng))
        engine = EnergyEngine(config, store)
        first = await engine.refresh(T0 + timedelta(minutes=600))
        full = engine.status().counters["events_read_last"]
        # The read process was restarted (killed, out of memory): the engine's rows are gone there.
        await store.read_process.call(worker.forget, engine._key)
        again = await engine.refresh(T0 + timedelta(minutes=600))
        assert engine.status().counters["events_read_last"] == full
        assert again.consumption == first.consumption
        with pytest.raises(worker.RowsLost):
            await store.read_process.call(worker.analyse_rows, "no such engine", None)
    finally:
        await store.close()


def test_a_slot_survives_the_trip_between_processes() -> None:
    slots = [Slot(T0, T0 + timedelta(minutes=15), 0.25, "EUR/kWh"), Slot(T0, T0, None, "kWh")]
    assert pickle.loads(pickle.dumps(slots)) == slots
