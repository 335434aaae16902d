"""Every source's slots in InfluxDB (measurement `data_source`) through sources.db's outbox, against
a real influxd: the points a fetch saved arrive, and an outage across a restart loses none."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.config import InfluxConfig
from core.datasources.cache import SeriesCache
from core.datasources.influx_out import slot_lines
from core.datasources.model import Fetched, Source
from core.datasources.store import SourcesStore
from core.slots import Slot
from tests.influx_servers import free_port
from tests.test_datasources_engine import PRICES_ONLY, demo, make, ok, settings, until

__all__ = ["demo"]

T0 = datetime(2025, 11, 3, 23, tzinfo=UTC)


def test_a_slot_is_one_point_at_its_start() -> None:
    q = timedelta(minutes=15)
    fetched = Fetched(
        series={
            "price": (Slot(T0, T0 + q, 0.09231, "EUR/kWh"), Slot(T0 + q, T0 + 2 * q, None, "EUR/kWh")),
            "pm2_5": (Slot(T0, T0 + timedelta(hours=1), 9.0, "µg/m³"),),
        },
        labels={"price": {T0: "VERY CHEAP"}},
    )
    lines = slot_lines(Source.PRICES, "tibber", fetched)
    assert lines == [
        # T0 = 2025-11-03T23:00Z = 1762210800 s; the unknown second slot is no point at all
        "data_source,source=prices,provider=tibber,series=price,unit=EUR/kWh value=0.09231,duration_s=900i,"
        'label="VERY CHEAP" 1762210800000000000',
        "data_source,source=prices,provider=tibber,series=pm2_5,unit=µg/m³ value=9.0,duration_s=3600i"
        " 1762210800000000000",
    ]
    calendar = Fetched(series={"calendar.family": (Slot(T0, T0 + q, 1.0, "event"),)})
    assert slot_lines(Source.CALENDAR, "home_assistant", calendar) == []  # events stay private


def test_a_refetch_queues_only_what_changed() -> None:
    q = timedelta(minutes=15)
    first = Fetched(
        series={"price": (Slot(T0, T0 + q, 0.1, "EUR/kWh"), Slot(T0 + q, T0 + 2 * q, 0.2, "EUR/kWh"))}
    )
    known = SeriesCache()
    known.merge(first)
    assert slot_lines(Source.PRICES, "awattar", first, known) == []  # the same day, fetched again
    revised = Fetched(
        series={"price": (Slot(T0, T0 + q, 0.1, "EUR/kWh"), Slot(T0 + q, T0 + 2 * q, 0.25, "EUR/kWh"))}
    )
    (line,) = slot_lines(Source.PRICES, "awattar", revised, known)
    assert "value=0.25," in line
    relabelled = Fetched(series=first.series, labels={"price": {T0: "CHEAP"}})
    (line,) = slot_lines(Source.PRICES, "awattar", relabelled, known)
    assert 'label="CHEAP"' in line


def points(influxd: Any, db: str, epoch: str | None = None) -> list[dict[str, Any]]:
    found = influxd.query(
        'SELECT value, duration_s, provider, "series", unit FROM data_source', db=db, epoch=epoch
    )
    if not found:
        return []
    (series,) = found
    return [dict(zip(series["columns"], v, strict=True)) for v in series["values"]]


async def test_fetched_prices_reach_influxdb(tmp_path: Path, demo: str, influxd: Any, influx_db: str) -> None:
    influx = InfluxConfig(enabled=True, url=influxd.url, database=influx_db)
    engine = make(tmp_path, settings(demo, **PRICES_ONLY), influx=influx)
    await engine.start()
    try:
        await until(ok(engine, Source.PRICES), 30)
        assert engine.influx is not None
        stored = await engine.store.range(
            Source.PRICES, "price", T0 - timedelta(days=400), T0 + timedelta(days=400)
        )
        expected = [s for s in stored if s.value is not None]
        await until(lambda: engine.influx is not None and engine.influx.written >= len(expected), 30)
        rows = points(influxd, influx_db)
        by_time = {r["time"]: r for r in rows if r["series"] == "price"}
        assert len(by_time) == len(expected) > 0
        first = expected[0]
        row = by_time[first.start.isoformat().replace("+00:00", "Z")]
        assert row["value"] == first.value and row["unit"] == first.unit
        assert row["duration_s"] == (first.end - first.start).total_seconds()
        assert row["provider"] == engine.source_status(Source.PRICES).provider
        assert engine.status().counters["influx_points_written"] >= len(expected)
        before = engine.influx.written
        await engine.test(Source.PRICES)  # the same prices again: nothing new to send
        assert await engine.store.influx_pending() == 0 and engine.influx.written == before
    finally:
        await engine.stop()


async def test_an_influxdb_outage_across_a_restart_loses_no_point(
    tmp_path: Path, demo: str, influxd: Any, influx_db: str
) -> None:
    down = InfluxConfig(
        enabled=True, url=f"http://127.0.0.1:{free_port()}", database=influx_db, timeout_s=1.0
    )
    engine = make(tmp_path, settings(demo, **PRICES_ONLY), influx=down)
    await engine.start()
    try:
        await until(ok(engine, Source.PRICES), 30)
        await until(lambda: engine.influx is not None and engine.influx.last_error is not None, 30)
        pending = await engine.store.influx_batch(100_000)
        assert pending and engine.influx is not None and engine.influx.written == 0
        # (series, time) of every point waiting: the key InfluxDB stores them under
        waiting = {
            (line.split(",series=")[1].split(",")[0], int(line.rsplit(" ", 1)[1])) for _, line in pending
        }
        assert engine.source_status(Source.PRICES).state.value == "ok"  # the source itself is fine
        assert "InfluxDB:" in engine.status().detail  # the outage is shown, not hidden
    finally:
        await engine.stop()
    up = InfluxConfig(enabled=True, url=influxd.url, database=influx_db)
    again = make(tmp_path, settings(demo, **PRICES_ONLY), influx=up)
    await again.start()  # the cache is fresh: no refetch needed, the outbox alone is drained
    try:
        await until(lambda: again.influx is not None and again.influx.written >= len(pending), 30)
        stored = {(r["series"], r["time"]) for r in points(influxd, influx_db, epoch="ns")}
        assert waiting <= stored
    finally:
        await again.stop()


async def test_a_failed_save_keeps_the_old_slots_and_queues_nothing(tmp_path: Path) -> None:
    q = timedelta(minutes=15)
    store = SourcesStore(tmp_path / "sources.db")
    await store.open()
    try:
        good = Fetched(series={"price": (Slot(T0, T0 + q, 0.1, "EUR/kWh"),)})
        await store.save_fetch(
            Source.PRICES, "awattar", good, 1.0, slot_lines(Source.PRICES, "awattar", good)
        )
        await store.influx_done(10**9)
        bad = Fetched(series={"price": (Slot(T0, T0 + q, 0.2, None),)})  # type: ignore[arg-type]
        with pytest.raises(sqlite3.IntegrityError):  # unit NOT NULL: fails after its DELETE ran
            await store.save_fetch(Source.PRICES, "awattar", bad, 2.0, ["data_source value=0.2 1"])
        await store.save_failure(Source.PRICES, "awattar", "later writer commits", 3.0)
        assert [s.value for s in await store.range(Source.PRICES, "price", T0, T0 + q)] == [0.1]
        assert await store.influx_pending() == 0
    finally:
        await store.close()
