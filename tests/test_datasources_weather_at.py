"""The weather at an event's time: the latest observation at or before it, nulls when there is
none or it is stale; observations survive a restart; sources.db migrates from version 1."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.datasources.model import Source
from core.datasources.store import SCHEMA_VERSION, SourcesStore
from core.weather import FIELDS, Observation, WeatherIndex, observation_from, read_observations

T0 = datetime(2025, 11, 3, 14, 0, tzinfo=UTC)


def obs(minutes: int, temp: float) -> Observation:
    return Observation(T0 + timedelta(minutes=minutes), "open_meteo", temp, 80.0, 3.9, "overcast")


def test_latest_observation_at_or_before_the_event_and_stale_gives_nulls() -> None:
    index = WeatherIndex([obs(0, 9.0), obs(15, 9.4), obs(30, 9.8)])
    assert index.at(T0 + timedelta(minutes=20)) == obs(15, 9.4)
    assert index.at(T0 + timedelta(minutes=15)) == obs(15, 9.4)  # its own interval starts there
    assert index.at(T0 - timedelta(seconds=1)) is None  # before any observation: no guess
    assert index.at(T0 + timedelta(minutes=30 + 60)) == obs(30, 9.8)  # 60 min old: still valid
    assert index.at(T0 + timedelta(minutes=30 + 61)) is None  # stale
    fields = index.fields_at(T0 + timedelta(minutes=31))
    assert fields == {"weather_temperature": 9.8, "weather_humidity": 80.0, "weather_condition": "overcast",
                      "weather_wind_speed": 3.9, "weather_observed_at": "2025-11-03T14:30:00Z"}  # fmt: skip
    assert index.fields_at(T0 + timedelta(hours=5)) == dict.fromkeys(FIELDS)
    index.add(obs(15, 9.5))  # the same interval again: replaced, not duplicated
    assert len(index) == 3 and index.at(T0 + timedelta(minutes=16)) == obs(15, 9.5)


def test_observation_from_a_current_reading() -> None:
    current = {"observed_at": "2025-11-03T14:45:00+00:00", "temperature": 9.8, "wind_speed": 4.0,
               "condition": "overcast", "interval_s": 900}  # fmt: skip
    got = observation_from(current, "open_meteo")
    assert got == Observation(T0 + timedelta(minutes=45), "open_meteo", 9.8, None, 4.0, "overcast")
    assert observation_from({"temperature": 9.8}, "x") is None


async def test_observations_persist_and_a_version_1_file_migrates(tmp_path: Path) -> None:
    path = tmp_path / "sources.db"
    with sqlite3.connect(path) as db:  # a version-1 file with one slot
        db.executescript(
            "CREATE TABLE slots (source TEXT NOT NULL, series TEXT NOT NULL, start INTEGER NOT NULL,"
            " end INTEGER NOT NULL, value REAL, unit TEXT NOT NULL, label TEXT,"
            " PRIMARY KEY (source, series, start)) WITHOUT ROWID;"
            "CREATE TABLE fetch_state (source TEXT PRIMARY KEY, provider TEXT NOT NULL, last_success REAL,"
            " last_attempt REAL, last_error TEXT, current TEXT NOT NULL DEFAULT '{}');"
            "INSERT INTO slots VALUES ('prices', 'price', 1762210800, 1762214400, 0.09231, 'EUR/kWh', NULL);"
            "PRAGMA user_version = 1;"
        )
    store = SourcesStore(path)
    await store.open()
    try:
        assert await store.schema_version() == SCHEMA_VERSION == 3
        assert await store.influx_pending() == 0  # version 3's outbox exists
        kept = await store.range(Source.PRICES, "price", T0, T0 + timedelta(days=2))
        assert [s.value for s in kept] == [0.09231]
        await store.save_observation(obs(0, 9.0))
        await store.save_observation(obs(15, 9.4))
        again = await store.observations(T0, T0 + timedelta(hours=1))
        assert again == [obs(0, 9.0), obs(15, 9.4)]
    finally:
        await store.close()


async def test_events_stamped_year_1_or_9999_get_nulls_not_an_overflow(tmp_path: Path) -> None:
    first, last = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
    store = SourcesStore(tmp_path / "sources.db")
    await store.open()
    try:
        await store.save_observation(obs(0, 9.0))
        assert await store.observations_around(first, last) == [obs(0, 9.0)]
    finally:
        await store.close()
    assert read_observations(tmp_path / "sources.db", first, last) == [obs(0, 9.0)]
    index = WeatherIndex([obs(0, 9.0)])
    assert index.fields_at(last) == dict.fromkeys(FIELDS) and index.fields_at(first) == dict.fromkeys(FIELDS)
