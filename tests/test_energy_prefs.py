"""energy/get_prefs in both grid shapes, meter discovery from metadata, config overrides, appliances."""

from __future__ import annotations

from datetime import timedelta

from core.energy.appliances import parse_appliance
from core.energy.discovery import MeterSource, Overrides, choose
from core.energy.prefs import parse_prefs
from core.energy.reader import SensorInfo
from core.ha.simulator.energy_home import (
    EXPORT_ID,
    GRID_POWER_ID,
    SOLAR_ENERGY_ID,
    legacy_prefs,
    unified_prefs,
)

LEGACY = {
    "energy_sources": [
        {
            "type": "grid",
            "flow_from": [
                {
                    "stat_energy_from": "sensor.meter_import_kwh",
                    "stat_cost": None,
                    "entity_energy_price": "sensor.nordpool_kwh_se3_sek",
                    "number_energy_price": None,
                }
            ],
            "flow_to": [
                {
                    "stat_energy_to": "sensor.meter_export_kwh",
                    "stat_compensation": None,
                    "entity_energy_price": None,
                    "number_energy_price": 0.05,
                }
            ],
            "cost_adjustment_day": 0.0,
        },
        {"type": "solar", "stat_energy_from": "sensor.pv_energy_total", "config_entry_solar_forecast": None},
        {
            "type": "battery",
            "stat_energy_from": "sensor.batt_out_kwh",
            "stat_energy_to": "sensor.batt_in_kwh",
        },
    ],
    "device_consumption": [
        {"stat_consumption": "sensor.kitchen_energy", "name": "Kitchen"},
        {
            "stat_consumption": "sensor.kettle_energy",
            "included_in_stat": "sensor.kitchen_energy",
            "stat_rate": "sensor.kettle_power",
        },
    ],
}

UNIFIED = {
    "energy_sources": [
        {
            "type": "grid",
            "stat_energy_from": "sensor.meter_import_kwh",
            "stat_energy_to": None,
            "stat_cost": None,
            "entity_energy_price": None,
            "number_energy_price": 0.31,
            "stat_compensation": None,
            "entity_energy_price_export": None,
            "number_energy_price_export": 0.05,
            "stat_rate": "sensor.grid_power",
            "power_config": {"stat_rate": "sensor.grid_power"},
            "cost_adjustment_day": 0.0,
        },
        {
            "type": "grid",
            "stat_energy_from": "sensor.second_import",
            "stat_energy_to": "sensor.second_export",
        },
    ],
    "device_consumption": [],
    "device_consumption_water": [],
}


def test_legacy_grid_shape() -> None:
    prefs = parse_prefs(LEGACY)
    assert prefs.grid_import == ("sensor.meter_import_kwh",)
    assert prefs.grid_export == ("sensor.meter_export_kwh",)
    assert prefs.solar == ("sensor.pv_energy_total",)
    assert (prefs.battery_out, prefs.battery_in) == (("sensor.batt_out_kwh",), ("sensor.batt_in_kwh",))
    assert prefs.price_entity == "sensor.nordpool_kwh_se3_sek" and prefs.fixed_price is None
    # The kettle is part of the kitchen: only the kitchen adds up.
    assert [d.energy for d in prefs.top_level_devices] == ["sensor.kitchen_energy"]
    assert prefs.devices[1].power == "sensor.kettle_power"


def test_unified_grid_shape_with_several_grids() -> None:
    prefs = parse_prefs(UNIFIED)
    assert prefs.grid_import == ("sensor.meter_import_kwh", "sensor.second_import")
    assert prefs.grid_export == ("sensor.second_export",)
    assert prefs.grid_power == ("sensor.grid_power",)
    assert prefs.fixed_price == 0.31 and prefs.price_entity is None


def test_the_simulator_serves_both_shapes_with_the_same_meters() -> None:
    legacy, unified = parse_prefs(legacy_prefs()), parse_prefs(unified_prefs())
    assert legacy.grid_import == unified.grid_import and legacy.grid_export == unified.grid_export
    assert legacy.devices == unified.devices and legacy.fixed_price == unified.fixed_price == 0.30
    assert legacy.solar == unified.solar == (SOLAR_ENERGY_ID,) and legacy.grid_export == (EXPORT_ID,)
    assert unified.grid_power == (GRID_POWER_ID,)  # the grid connection's power, not the home's use


def info(eid: str, unit: str, dc: str, sc: str | None, name: str) -> SensorInfo:
    return SensorInfo(eid, unit, dc, sc, name)


CATALOGUE = {
    i.entity_id: i
    for i in (
        info("sensor.p1_energy_import", "kWh", "energy", "total_increasing", "P1 import"),
        info("sensor.p1_energy_export", "kWh", "energy", "total_increasing", "P1 export"),
        info("sensor.pv_yield", "kWh", "energy", "total_increasing", "Solar yield"),
        info("sensor.washer_energy", "Wh", "energy", "total", "Washer energy"),
        info("sensor.washer_measurement", "kWh", "energy", "measurement", "Not a total"),
        info("sensor.p1_power", "W", "power", "measurement", "P1 power"),
        info("sensor.outdoor_temperature", "°C", "temperature", "measurement", "Outdoor"),
    )
}


def test_metadata_tells_house_meter_devices_and_export_apart() -> None:
    meters = choose(None, CATALOGUE, Overrides())
    assert meters.source is MeterSource.METADATA
    assert meters.grid_import == ("sensor.p1_energy_import",)
    assert meters.grid_export == ("sensor.p1_energy_export",)
    assert meters.mains_power == "sensor.p1_power"
    assert [d.energy for d in meters.devices] == ["sensor.washer_energy"]  # not solar, not a measurement


def test_with_solar_the_grids_power_gives_way_to_the_homes_own_power_sensor() -> None:
    # The grid's power is the home's use net of the roof: a consumption sensor shows switch steps
    # without the sun's drift. Without production on site, or without such a sensor, the grid's is used.
    catalogue = {
        **CATALOGUE,
        "sensor.grid_power": info("sensor.grid_power", "W", "power", "measurement", "Grid power"),
        "sensor.pv_power": info("sensor.pv_power", "W", "power", "measurement", "Solar power"),
    }
    grid = {"type": "grid", "stat_energy_from": "sensor.p1_energy_import", "stat_rate": "sensor.grid_power"}
    solar = {"type": "solar", "stat_energy_from": "sensor.pv_yield", "config_entry_solar_forecast": None}
    with_solar = choose(parse_prefs({"energy_sources": [grid, solar]}), catalogue, Overrides())
    assert with_solar.solar == ("sensor.pv_yield",) and with_solar.mains_power == "sensor.p1_power"
    grid_only = choose(parse_prefs({"energy_sources": [grid]}), catalogue, Overrides())
    assert grid_only.mains_power == "sensor.grid_power"
    no_house_sensor = {k: v for k, v in catalogue.items() if k != "sensor.p1_power"}
    assert choose(
        parse_prefs({"energy_sources": [grid, solar]}), no_house_sensor, Overrides()
    ).mains_power == ("sensor.grid_power")
    # From metadata alone, a sensor of the home's use beats one named after the grid.
    assert choose(None, catalogue, Overrides()).mains_power == "sensor.p1_power"


def test_overrides_replace_what_was_found() -> None:
    meters = choose(
        parse_prefs(LEGACY), CATALOGUE, Overrides(mains_power="sensor.my_power", device_meters=("sensor.a",))
    )
    assert meters.source is MeterSource.CONFIG
    assert meters.grid_import == ("sensor.meter_import_kwh",) and meters.mains_power == "sensor.my_power"
    assert [d.energy for d in meters.devices] == ["sensor.a"]


def test_nothing_found_says_so() -> None:
    meters = choose(None, {}, Overrides())
    assert meters.source is MeterSource.NONE and not meters.found


def test_appliance_entries() -> None:
    dishwasher = parse_appliance("dishwasher:2h")
    assert dishwasher is not None and dishwasher.duration == timedelta(hours=2) and dishwasher.kwh is None
    ev = parse_appliance("ev_charge:4h:11kWh")
    assert ev is not None and ev.kwh == 11.0
    washer = parse_appliance("washing_machine:90m")
    assert washer is not None and washer.duration == timedelta(minutes=90)
    for bad in ("dishwasher", "dishwasher:soon", ":2h", "x:0h", "x:2h:lots"):
        assert parse_appliance(bad) is None
