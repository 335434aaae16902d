"""The energy engine's window read on a real store: one scan of the period gives, per entity, the row
in force at the start and every row inside, in time order (late back-filled rows included), numbers
and on/off states with HA's semantics; odd states fall back to the strict parse, never shift a row."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import orjson

from core.energy import reader
from core.energy.states import is_on, number
from core.energy.window import ReadPlan, WindowCache
from core.store import EventStore
from core.store.rows import NO_RESOLUTION, StoreRow

T0 = datetime(2026, 3, 1, tzinfo=UTC)
METER = {"unit_of_measurement": "kWh", "device_class": "energy", "state_class": "total_increasing"}


def row(
    eid: str, minutes: float, state: str, old: str | None, attrs: Mapping[str, object] = METER
) -> StoreRow:
    at = int((T0 + timedelta(minutes=minutes)).timestamp() * 1e6)
    return StoreRow(
        eid, at, state, old, orjson.dumps(attrs), None, None, None,
        "LOCAL", "live", "state_changed", None, NO_RESOLUTION,
    )  # fmt: skip


def us(minutes: float) -> int:
    return int((T0 + timedelta(minutes=minutes)).timestamp() * 1e6)


def reference(conn: sqlite3.Connection, eid: str, start: int, end: int, switch: bool) -> list[tuple]:
    """Row by row in Python: the row in force at `start`, then the rows inside (switches: their
    changes only, the one in force being the last change before `start`)."""
    domain = eid.split(".", 1)[0]
    rows = conn.execute(
        "SELECT time_us, state, old_state FROM events e JOIN entity_ids i ON i.id = e.entity_key "
        "WHERE i.entity_id = ? AND time_us < ? ORDER BY time_us",
        (eid, end),
    ).fetchall()
    before = [r for r in rows if r[0] < start and (not switch or r[1] != r[2])][-1:]
    inside = [r for r in rows if r[0] >= start and (not switch or r[1] != r[2])]
    out = []
    for t, state, old in before + inside:
        if switch:
            on, was = is_on(domain, state), is_on(domain, old)
            out.append((t / 1e6, np.nan if on is None else float(on), np.nan if was is None else float(was)))
        else:
            value = number(state, 1.0)
            out.append((t / 1e6, np.nan if value is None else value))
    return out


async def _read(store: EventStore, numeric: list[str], switches: list[str], a: int, b: int) -> reader.Window:
    """The period [a, b): the read goes on to the newest row; the engine's cache cuts it at now."""
    window = await store.queries.run_read(lambda c: reader.read_window(c, numeric, switches, a))
    cache = WindowCache()
    cache.replace(ReadPlan((), (), ()), a / 1e6, window, 0.0)
    return cache.until(b / 1e6)


def _rows_of(window: reader.Window, eid: str) -> list[tuple]:
    if eid in window.switches:
        s = window.switches[eid]
        return list(zip(s.ts.tolist(), s.on.tolist(), s.was_on.tolist(), strict=True))
    n = window.numeric[eid]
    return list(zip(n.ts.tolist(), n.value.tolist(), strict=True))


def _same(got: list[tuple], want: list[tuple]) -> bool:
    return len(got) == len(want) and all(
        np.allclose(g, w, equal_nan=True, rtol=1e-12) for g, w in zip(got, want, strict=True)
    )


async def test_one_scan_matches_the_row_by_row_reading(tmp_path: Path) -> None:
    rng = random.Random(7)
    states = ["on", "off", "unavailable", "unknown"]
    climate = ["heat", "off", "cool", "unavailable"]
    rows: list[StoreRow] = []
    value, old_value = 100.0, None
    light, heat = None, None
    for i in range(600):
        value += rng.random()
        text = rng.choice([f"{value:.3f}"] * 8 + ["unavailable", "1e3", "-0.5"])
        rows.append(row("sensor.import", i, text, old_value))
        old_value = text
        new_light = rng.choice(states)
        rows.append(row("light.desk", i + 0.5, new_light, light, {"brightness": i}))
        light = new_light
        new_heat = rng.choice(climate)
        rows.append(row("climate.hall", i + 0.25, new_heat, heat, {}))
        heat = new_heat
    rows.append(row("sensor.other", 5, "3", None, {}))
    store = await EventStore.open(tmp_path / "data", retention=False)
    try:
        await store.write_events(rows)
        a, b = us(100), us(500)
        window = await _read(store, ["sensor.import", "sensor.missing"], ["light.desk", "climate.hall"], a, b)
        assert set(window.numeric) == {"sensor.import"} and set(window.switches) == {
            "light.desk",
            "climate.hall",
        }
        for eid in ("sensor.import", "light.desk", "climate.hall"):
            want = await store.queries.run_read(lambda c, e=eid: reference(c, e, a, b, e != "sensor.import"))
            assert _same(_rows_of(window, eid), want), eid
    finally:
        await store.close()


async def test_a_late_back_filled_row_is_read_in_time_order(tmp_path: Path) -> None:
    store = await EventStore.open(tmp_path / "data", retention=False)
    try:
        await store.write_events([row("sensor.import", m, f"{m}.0", None) for m in (0, 10, 30, 40)])
        # HA's recorder lagged: the 20-minute reading arrives after the 40-minute one.
        await store.write_events([row("sensor.import", 20, "20.0", "10.0")])
        window = await _read(store, ["sensor.import"], [], us(5), us(60))
        meter = window.numeric["sensor.import"]
        assert meter.value.tolist() == [0.0, 10.0, 20.0, 30.0, 40.0]  # the row in force at 5 min first
        assert np.all(np.diff(meter.ts) > 0)
    finally:
        await store.close()


async def test_states_numpy_cannot_read_whole_fall_back_to_the_strict_parse(tmp_path: Path) -> None:
    store = await EventStore.open(tmp_path / "data", retention=False)
    try:
        texts = ["1.5", "1,5", "12:30", "2.0", "0x10", "7", "", "inf", "1e999", "unknown"]
        await store.write_events([row("sensor.import", i, t, None) for i, t in enumerate(texts)])
        window = await _read(store, ["sensor.import"], [], us(0), us(60))
        got = window.numeric["sensor.import"].value.tolist()
        nan = np.nan
        assert np.allclose(got, [1.5, nan, nan, 2.0, nan, 7.0, nan, nan, nan, nan], equal_nan=True)
        assert all(number(t, 1.0) is None for t, v in zip(texts, got, strict=True) if np.isnan(v))
    finally:
        await store.close()


async def test_a_total_meter_carries_its_last_reset_per_row(tmp_path: Path) -> None:
    total = {**METER, "state_class": "total"}
    first, second = "2026-03-01T00:00:00+00:00", "2026-03-01T01:00:00+00:00"
    rows = [
        row("sensor.cycle", 0, "1.0", None, {**total, "last_reset": first}),
        row("sensor.cycle", 30, "2.0", "1.0", {**total, "last_reset": first}),
        row("sensor.cycle", 60, "0.5", "2.0", {**total, "last_reset": second}),
        row("sensor.cycle", 90, "0.8", "0.5", total),
    ]
    store = await EventStore.open(tmp_path / "data", retention=False)
    try:
        await store.write_events(rows)
        window = await store.queries.run_read(
            lambda c: reader.read_window(c, ["sensor.cycle"], [], us(10), resets=["sensor.cycle"])
        )
        meter = window.numeric["sensor.cycle"]
        assert meter.last_reset is not None
        a, b = datetime.fromisoformat(first).timestamp(), datetime.fromisoformat(second).timestamp()
        assert np.allclose(meter.last_reset, [a, a, b, np.nan], equal_nan=True)
        assert window.rows == 4
    finally:
        await store.close()


async def test_an_empty_period_gives_only_the_rows_in_force(tmp_path: Path) -> None:
    store = await EventStore.open(tmp_path / "data", retention=False)
    try:
        await store.write_events(
            [row("sensor.import", 0, "4.0", None), row("light.desk", 0, "on", "off", {})]
        )
        window = await _read(store, ["sensor.import"], ["light.desk"], us(60), us(120))
        assert window.numeric["sensor.import"].value.tolist() == [4.0]
        assert window.switches["light.desk"].on.tolist() == [1.0]
        empty = await _read(store, [], [], us(60), us(120))
        assert empty.rows == 0
    finally:
        await store.close()


def test_the_scan_s_key_test_is_membership_for_near_and_spread_keys() -> None:
    conn = sqlite3.connect(":memory:")
    rng = random.Random(11)
    for top in (60, 200, 5000):  # one word, a few words, too many words (the IN list)
        keys = set(rng.sample(range(1, top), min(40, top - 2)))
        sql = reader._member(keys)
        for key in [*keys, *rng.sample(range(0, top + 100), 50)]:
            (hit,) = conn.execute(f"SELECT {sql} FROM (SELECT ? AS entity_key)", (key,)).fetchone()
            assert bool(hit) == (key in keys), (top, key)
