"""The energy engine on a real SQLite store: meters found from sensor metadata, consumption, cost and
advice from hand-computed history, and HA's energy dashboard through the demo home."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest

from core.config import DataSourcesConfig, EnergyConfig
from core.datasources import SPEC as DATA_SOURCES
from core.energy import SPEC as ENERGY
from core.energy.discovery import MeterSource
from core.energy.engine import EnergyEngine
from core.ha.simulator.energy_home import EXPORT_ID, IMPORT_ID, SOLAR_ENERGY_ID
from core.ha.simulator.energy_statistics import HOUSE_PROFILE_KWH, hour_kwh
from core.ha.simulator.spec import SPEC as SIMULATOR
from core.runtime import Runtime
from core.slots import SeriesKind, Slot
from core.store import EventStore
from core.store.rows import NO_RESOLUTION, StoreRow
from tests.runtime_harness import running_runtime, wait_for

NOW = datetime(2025, 11, 5, 12, 0, tzinfo=UTC)
START = NOW - timedelta(days=4)
IMPORT = {"unit_of_measurement": "kWh", "device_class": "energy", "state_class": "total_increasing",
          "friendly_name": "Grid import"}  # fmt: skip
DRYER = {**IMPORT, "friendly_name": "Dryer energy"}
EXPORT = {**IMPORT, "friendly_name": "Grid export"}


def row(entity_id: str, at: datetime, state: str, old: str | None, attrs: Mapping[str, object]) -> StoreRow:
    return StoreRow(
        entity_id, int(at.timestamp() * 1e6), state, old, orjson.dumps(attrs), None, None, None,
        "LOCAL", "live", "state_changed", None, NO_RESOLUTION,
    )  # fmt: skip


def history() -> list[StoreRow]:
    """A house drawing 1 kW all day (import read every 15 min), and a dryer using 2 kWh at 18:00 daily."""
    rows: list[StoreRow] = []
    value, old = 1000.0, None
    t = START - timedelta(hours=1)
    while t <= NOW:
        rows.append(row("sensor.grid_import_energy", t, f"{value:.3f}", old, IMPORT))
        old, value, t = f"{value:.3f}", value + 0.25, t + timedelta(minutes=15)
    rows.append(row("sensor.grid_export_energy", START - timedelta(hours=1), "5.000", None, EXPORT))
    dryer, old = 50.0, None
    t = START - timedelta(hours=1)
    while t <= NOW:
        rows.append(row("sensor.dryer_energy", t, f"{dryer:.3f}", old, DRYER))
        old = f"{dryer:.3f}"
        dryer += 2.0 if t.hour == 18 else 0.0
        t += timedelta(hours=1)
    return rows


class HandPrices:
    """A SlotSource over hand-made slots: 0.10 EUR/kWh 13:00-14:00 UTC, 0.30 otherwise; 200 g/kWh."""

    def slots(self, kind: SeriesKind, start: datetime, end: datetime) -> Sequence[Slot]:
        out = []
        t = START.replace(hour=0)
        while t < NOW + timedelta(days=1):
            if start <= t < end:
                if kind is SeriesKind.PRICE:
                    out.append(Slot(t, t + timedelta(hours=1), 0.10 if t.hour == 13 else 0.30, "EUR/kWh"))
                elif kind is SeriesKind.CARBON:
                    out.append(Slot(t, t + timedelta(hours=1), 200.0, "gCO2/kWh"))
            t += timedelta(hours=1)
        return out


CONFIG = EnergyConfig(history_days=4, time_zone="UTC", appliances=["kettle_boiler:1h:1.0kWh"])


async def _store(tmp_path: Path) -> EventStore:
    store = await EventStore.open(tmp_path / "data", retention=False)
    await store.write_events(history())
    return store


async def test_metadata_meters_consumption_and_honest_unknown_cost(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    try:
        snap = await EnergyEngine(CONFIG, store).refresh(NOW)
    finally:
        await store.close()
    assert snap.meters.source is MeterSource.METADATA
    assert snap.meters.grid_import == ("sensor.grid_import_energy",)
    assert snap.meters.grid_export == ("sensor.grid_export_energy",)
    assert [d.energy for d in snap.meters.devices] == ["sensor.dryer_energy"]
    assert snap.glance.kwh == pytest.approx(12.0) and snap.glance.yesterday_kwh == pytest.approx(12.0)
    assert snap.glance.cost is None and snap.glance.carbon_kg is None  # no prices: unknown, not 0
    assert any("no electricity prices" in n for n in snap.notes)
    (dryer,) = snap.devices
    assert dryer.kwh_period == pytest.approx(8.0) and dryer.kwh_today == pytest.approx(0.0)


async def test_prices_give_cost_carbon_windows_and_a_shift_suggestion(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    try:
        engine = EnergyEngine(CONFIG, store, slots=HandPrices)
        snap = await engine.refresh(NOW)
    finally:
        await store.close()
    assert snap.currency == "EUR" and snap.resolution_min == 60
    # Today 00:00-12:00: 12 kWh at 0.30 (the cheap hour, 13:00, is still ahead).
    assert snap.glance.cost == pytest.approx(12 * 0.30) and snap.glance.yesterday_cost == pytest.approx(3.6)
    assert snap.glance.carbon_kg == pytest.approx(12 * 0.2)
    (advice,) = snap.advice
    assert advice.cheapest is not None and advice.cheapest.start == NOW + timedelta(hours=1)
    assert advice.cheapest.mean_rate == pytest.approx(0.10)
    assert advice.now_price == pytest.approx(0.30) and advice.expected_cost == pytest.approx(0.10)
    assert advice.cost_now == pytest.approx(0.30)
    assert advice.day_average_price == pytest.approx((23 * 0.30 + 0.10) / 24)
    (hint,) = snap.suggestions
    assert (hint.usual_hour, hint.best_hour, hint.runs) == (18, 13, 4)
    assert hint.saving == pytest.approx(4 * 2.0 * (0.30 - 0.10))


def _synced(runtime: Runtime) -> bool:
    info = runtime.connection_info()
    return info is not None and info.synced


class PricesWithAHole(HandPrices):
    """Yesterday's 03:00 price never arrived."""

    def slots(self, kind: SeriesKind, start: datetime, end: datetime) -> Sequence[Slot]:
        hole = (NOW - timedelta(days=1)).replace(hour=3)
        return [
            s if s.start != hole else Slot(s.start, s.end, None, s.unit)
            for s in super().slots(kind, start, end)
        ]


async def test_a_missing_price_makes_the_total_unknown_not_smaller(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    try:
        snap = await EnergyEngine(CONFIG, store, slots=PricesWithAHole).refresh(NOW)
    finally:
        await store.close()
    assert snap.glance.yesterday_kwh == pytest.approx(12.0)  # the energy is known
    assert snap.glance.yesterday_cost is None and snap.glance.yesterday_carbon_kg is None
    assert snap.glance.cost == pytest.approx(3.6)  # today has every price


async def test_the_demo_home_dashboard_names_the_meters(tmp_path: Path) -> None:
    # Without the data sources engine, the dashboard's fixed price is the tariff.
    no_sources = DataSourcesConfig(enabled=False)
    async with running_runtime(
        tmp_path, energy=replace(CONFIG, refresh_s=3600), data_sources=no_sources
    ) as runtime:
        engine = runtime.engine(ENERGY)
        assert engine is not None
        await wait_for(lambda: _synced(runtime), "the HA client to sync with the demo home")
        snap = await engine.refresh()
        assert engine.ha_facts.prefs_state == "set up"
        assert snap.meters.source is MeterSource.DASHBOARD
        assert snap.meters.grid_import == ("sensor.house_energy_meter_energy_import",)
        assert snap.meters.mains_power == "sensor.house_energy_meter_power"
        assert snap.currency == "EUR"  # the dashboard's fixed price in HA's currency
        assert any("fixed price" in n for n in snap.notes)


async def test_without_the_dashboard_the_demo_home_falls_back_to_sensor_metadata(tmp_path: Path) -> None:
    async with running_runtime(tmp_path, energy=replace(CONFIG, refresh_s=3600)) as runtime:
        engine = runtime.engine(ENERGY)
        assert engine is not None
        await wait_for(lambda: _synced(runtime), "the HA client to sync with the demo home")
        simulator = runtime.engine(SIMULATOR)
        assert simulator is not None
        simulator.simulator.home.energy_prefs = None  # the user never opened the energy dashboard
        snap = await engine.refresh()
        assert engine.ha_facts.prefs_state == "not set up"
        assert snap.meters.source is MeterSource.METADATA
        assert snap.meters.grid_import == ("sensor.house_energy_meter_energy_import",)
        assert snap.meters.mains_power == "sensor.house_energy_meter_power"
        assert any("not set up" in n for n in snap.notes)


async def test_hourly_statistics_from_ha_fill_the_days_before_the_app_started(tmp_path: Path) -> None:
    config = EnergyConfig(history_days=2, refresh_s=3600, appliances=[])  # HA's time zone (Europe/Berlin)
    async with running_runtime(tmp_path, energy=config) as runtime:
        engine = runtime.engine(ENERGY)
        assert engine is not None
        await wait_for(lambda: _synced(runtime), "the HA client to sync with the demo home")
        snap = await engine.refresh()
    assert snap.time_zone == "Europe/Berlin"
    assert any("hourly statistics" in n for n in snap.notes)
    zone = ZoneInfo("Europe/Berlin")
    today = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    y_start = (today - timedelta(hours=12)).replace(hour=0)
    y_end = y_start + (snap.computed_at - today)
    grid, home, t = 0.0, 0.0, y_start
    while t < y_end:  # whole hours, and the share of the last one (even use within an hour)
        share = min(1.0, (y_end - t) / timedelta(hours=1))
        grid += hour_kwh(IMPORT_ID, int(t.timestamp()), zone) * share  # what the roof did not cover
        home += HOUSE_PROFILE_KWH[t.astimezone(zone).hour] * share
        t += timedelta(hours=1)
    assert snap.glance.yesterday_kwh == pytest.approx(grid, rel=1e-6)
    assert snap.glance.yesterday_home_kwh == pytest.approx(home, rel=1e-6)


async def test_the_demo_homes_solar_makes_its_use_more_than_its_grid_import(tmp_path: Path) -> None:
    # Yesterday comes from HA's hourly statistics in full (the app started today), whatever the time.
    config = EnergyConfig(history_days=2, refresh_s=3600, appliances=[])
    async with running_runtime(tmp_path, energy=config) as runtime:
        engine = runtime.engine(ENERGY)
        assert engine is not None
        await wait_for(lambda: _synced(runtime), "the HA client to sync with the demo home")
        snap = await engine.refresh()
    assert snap.meters.source is MeterSource.DASHBOARD
    assert snap.meters.solar == (SOLAR_ENERGY_ID,) and snap.meters.grid_export == (EXPORT_ID,)
    zone = ZoneInfo("Europe/Berlin")
    today = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    y_start = (today - timedelta(hours=12)).replace(hour=0)

    def yesterday(slots: Sequence[Slot]) -> list[float | None]:
        return [s.value for s in slots if y_start <= s.start and s.end <= today]

    home, grid = yesterday(snap.home_usage), yesterday(snap.consumption)
    assert home and None not in home and None not in grid
    first, end = y_start.astimezone(UTC), today.astimezone(UTC)  # UTC: a DST day has 23 or 25 hours
    hours = [first + timedelta(hours=h) for h in range(int((end - first) / timedelta(hours=1)))]
    day = sum(HOUSE_PROFILE_KWH[h.astimezone(zone).hour] for h in hours)
    assert sum(v for v in home if v is not None) == pytest.approx(day, rel=1e-6)
    assert sum(v for v in grid if v is not None) < day - 1.0  # the roof covered part of the day


async def test_prices_and_carbon_come_from_the_data_sources_engine(tmp_path: Path) -> None:
    async with running_runtime(tmp_path, energy=replace(CONFIG, refresh_s=3600)) as runtime:
        engine = runtime.engine(ENERGY)
        sources = runtime.engine(DATA_SOURCES)
        assert engine is not None and sources is not None
        await wait_for(lambda: _synced(runtime), "the HA client to sync with the demo home")
        now = datetime.now(UTC)
        await wait_for(
            lambda: bool(sources.slots(SeriesKind.PRICE, now, now + timedelta(hours=6))), "demo prices"
        )
        snap = await engine.refresh()
    assert snap.prices and all(p.unit == "EUR/kWh" for p in snap.prices)
    assert not any("fixed price" in n or "no electricity prices" in n for n in snap.notes)
    assert snap.resolution_min == round(min(p.minutes for p in snap.prices))
    # Every appliance window is the cheapest the known prices allow: no cheaper mean exists.
    for advice in snap.advice:
        assert advice.cheapest is not None and advice.now_price is not None
        assert advice.cheapest.mean_rate <= advice.now_price + 1e-12
