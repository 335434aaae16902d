"""The demo home's energy: a whole-home meter whose power is the true draw of its switchable loads plus
a wandering base load, rooftop solar on the demo home's clock, grid import and export meters net of
that solar, and the energy dashboard's preferences (`energy/get_prefs`).

The mains power sensor measures what the home uses (a clamp on the consumer side), so each load's
true power is a step on it (TRUE_WATTS): the energy engine's "which switch costs what" can be checked
against the truth, loads of 50 W and more must be found, loads of 0 W must not be. What the grid
sees is that use minus the solar production: import when the home uses more, export when the roof
makes more. One ledger integrates all four flows from the same samples, so import + solar - export
equals the home's use over any period, as HA's energy dashboard adds it up.
The meter behaviours draw exactly as many random numbers as the plain sensors they replace, so every
other entity's sequence stays what it was.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from core.ha.simulator import clock
from core.ha.simulator.behaviours import AttrDict, Behaviour, Counter, NumericSensor, Reading, Tick, fmt
from core.ha.simulator.demo_home import DemoHome
from core.ha.simulator.solar import Array, clear_sky_watts

POWER_ID = "sensor.house_energy_meter_power"
GRID_POWER_ID = "sensor.house_energy_meter_grid_power"
IMPORT_ID = "sensor.house_energy_meter_energy_import"
EXPORT_ID = "sensor.house_energy_meter_energy_export"
SOLAR_POWER_ID = "sensor.solar_inverter_ac_power"
SOLAR_ENERGY_ID = "sensor.solar_inverter_total_energy"
LIGHT_WATTS = 8.0
ROOF = Array(peak_w=4000.0, tilt=35.0, azimuth=180.0)
"""The demo home's array: 4 kWp facing south at 35°, at the home's configured location."""

TRUE_WATTS: dict[str, float] = {
    # Metering plugs: what they draw while switched on (their kits' nominal watts).
    "switch.living_room_tv": 85.0,
    "switch.kitchen_coffee_machine": 4.0,
    "switch.kitchen_dishwasher": 12.0,
    "switch.bathroom_towel_heater": 300.0,
    "switch.office_computer": 120.0,
    "switch.laundry_washing_machine": 40.0,
    "switch.laundry_dryer": 60.0,
    "switch.garage_car_charger": 1500.0,
    # Relays that switch nothing the house meter sees (valves, a doorbell transformer, spare channels).
    "switch.hallway_porch_light": 0.0,
    "switch.garden_irrigation": 0.0,
    "switch.shelly_pro_4pm_channel_1": 0.0,
    "switch.shelly_pro_4pm_channel_2": 0.0,
    "switch.shelly_pro_4pm_channel_3": 0.0,
    "switch.shelly_pro_4pm_channel_4": 0.0,
}


def true_watts(home: DemoHome) -> dict[str, float]:
    """What each switchable entity of `home` draws while on (lights: LIGHT_WATTS)."""
    out = {eid: w for eid, w in TRUE_WATTS.items() if eid in home.entities}
    out.update({eid: LIGHT_WATTS for eid in home.entities if eid.startswith("light.")})
    return out


class HouseMeterPower(NumericSensor):
    """Mains power: the base load walks like any sensor; every load that is on adds its watts."""

    def __init__(self, general: AttrDict, **walk: Any) -> None:
        super().__init__(general, **walk)
        self.loads: list[tuple[Behaviour, float]] = []

    def watts(self) -> float:
        return self.value + sum(w for behaviour, w in self.loads if getattr(behaviour, "on", False))

    def _initial(self) -> Reading:
        return self._reading(fmt(self.watts(), self.decimals))

    def _next(self, rng: random.Random, tick: Tick) -> Reading:
        super()._next(rng, tick)
        return self._reading(fmt(self.watts(), self.decimals))


CLOUD_MEAN, CLOUD_SD, CLOUD_MINUTES = 0.8, 0.15, 30.0
"""The sky: on average 80 % of clear-sky light, wandering by about 15 % over half an hour."""


class SolarPower(Behaviour):
    """The inverter's AC power: the clear-sky curve at the event's time (day and night follow the
    sun at the home's location), dimmed by clouds that drift slowly (an Ornstein-Uhlenbeck walk in
    simulated time, one draw from the home's rng per write)."""

    def __init__(self, general: AttrDict, *, array: Array = ROOF, weight: float = 1.0) -> None:
        super().__init__({"state_class": "measurement"}, general)
        self.array, self.weight = array, weight
        self.cloud = CLOUD_MEAN
        self._last_index: int | None = None

    def watts(self, us: int) -> float:
        return clear_sky_watts(us / clock.US_PER_S, self.array) * self.cloud

    def _initial(self) -> Reading:
        return self._reading(fmt(self.watts(clock.now_us()), 0))

    def _next(self, rng: random.Random, tick: Tick) -> Reading:
        seconds = 0.0 if self._last_index is None else (tick.index - self._last_index) / tick.rate
        self._last_index = tick.index
        keep = math.exp(-seconds / (CLOUD_MINUTES * 60.0))
        drift = CLOUD_SD * math.sqrt(1.0 - keep * keep) * rng.gauss(0.0, 1.0)
        self.cloud = min(1.0, max(0.2, CLOUD_MEAN + (self.cloud - CLOUD_MEAN) * keep + drift))
        return self._reading(fmt(self.watts(tick.now_us()), 0))


class GridPower(Behaviour):
    """The power at the grid connection, as HA's grid `stat_rate` means it: positive while importing,
    negative while the roof exports (the home's use minus the solar production)."""

    def __init__(self, general: AttrDict, *, weight: float = 2.0) -> None:
        super().__init__({"state_class": "measurement"}, general)
        self.weight = weight
        self.home_watts: Callable[[], float] = lambda: 0.0  # wire() connects the house meter
        self.solar_watts: Callable[[int], float] = _dark

    def watts(self, us: int) -> float:
        return self.home_watts() - self.solar_watts(us)

    def _initial(self) -> Reading:
        return self._reading(fmt(self.watts(clock.now_us()), 0))

    def _next(self, rng: random.Random, tick: Tick) -> Reading:
        return self._reading(fmt(self.watts(tick.now_us()), 0))


def _dark(us: int) -> float:
    return 0.0


Flow = Literal["import", "export", "solar", "home"]


@dataclass(slots=True)
class EnergyFlows:
    """The home's energy ledger (kWh since its first advance). Every advance integrates the home's
    use and the solar production over the time since the last one, and splits their difference into
    grid import or export, so import + solar - export == home holds for the totals at all times.
    Time is counted in events at the current rate, like every simulator duration."""

    home_watts: Callable[[], float]
    solar_watts: Callable[[int], float]
    home: float = 0.0
    solar: float = 0.0
    grid_import: float = 0.0
    grid_export: float = 0.0
    _last_index: int | None = None

    def advance(self, tick: Tick) -> None:
        if self._last_index is not None and tick.index > self._last_index:
            hours = (tick.index - self._last_index) / tick.rate / 3600.0
            use = max(0.0, self.home_watts()) * hours / 1000.0
            made = max(0.0, self.solar_watts(tick.now_us())) * hours / 1000.0
            self.home += use
            self.solar += made
            self.grid_import += max(0.0, use - made)
            self.grid_export += max(0.0, made - use)
        self._last_index = tick.index

    def total(self, flow: Flow) -> float:
        totals = {
            "import": self.grid_import,
            "export": self.grid_export,
            "solar": self.solar,
            "home": self.home,
        }
        return totals[flow]


class IntegratingMeter(Counter):
    """A total_increasing meter of one flow of the ledger (grid import, grid export or solar
    production): its starting reading plus the ledger's total, brought up to date at each write."""

    def __init__(
        self, general: AttrDict, *, value: float, step: float, flow: Flow = "import", weight: float = 1.0
    ) -> None:
        super().__init__(general, value=value, step=step, weight=weight)
        self.flow: Flow = flow
        self.flows: EnergyFlows | None = None
        self._start = value

    def _next(self, rng: random.Random, tick: Tick) -> Reading:
        rng.uniform(0.2, 1.0)  # the draw a plain Counter makes, so the home's sequence is unchanged
        if self.flows is not None:
            self.flows.advance(tick)
            self.value = self._start + self.flows.total(self.flow)
        return self._reading(fmt(self.value, 3))


def wire(home: DemoHome) -> EnergyFlows | None:
    """Connect the house meter to the loads and the grid and solar meters to one ledger, and set the
    energy dashboard's preferences. Returns the ledger (None when the home has no house meter)."""
    power = home.entities.get(POWER_ID)
    if power is None or not isinstance(power.behaviour, HouseMeterPower):
        return None
    meter = power.behaviour
    meter.loads = [(home.entities[eid].behaviour, w) for eid, w in true_watts(home).items() if w > 0]
    sun = home.entities.get(SOLAR_POWER_ID)
    solar = sun.behaviour if sun is not None and isinstance(sun.behaviour, SolarPower) else None
    flows = EnergyFlows(meter.watts, solar.watts if solar is not None else _dark)
    grid = home.entities.get(GRID_POWER_ID)
    if grid is not None and isinstance(grid.behaviour, GridPower):
        grid.behaviour.home_watts, grid.behaviour.solar_watts = flows.home_watts, flows.solar_watts
    for eid in (IMPORT_ID, EXPORT_ID, SOLAR_ENERGY_ID):
        entity = home.entities.get(eid)
        if entity is not None and isinstance(entity.behaviour, IntegratingMeter):
            entity.behaviour.flows = flows
    home.energy_prefs = unified_prefs(solar=SOLAR_ENERGY_ID in home.entities)
    return flows


def device_consumption() -> list[dict[str, Any]]:
    plugs = (
        "living_room_tv",
        "bathroom_towel_heater",
        "office_computer",
        "laundry_washing_machine",
        "laundry_dryer",
        "garage_car_charger",
        "kitchen_dishwasher",
    )
    return [{"stat_consumption": f"sensor.{p}_energy", "stat_rate": f"sensor.{p}_power"} for p in plugs]


def solar_source() -> dict[str, Any]:
    """The roof, as HA lists a solar source (no forecast integration configured)."""
    return {"type": "solar", "stat_energy_from": SOLAR_ENERGY_ID, "config_entry_solar_forecast": None}


def unified_prefs(*, solar: bool = True) -> dict[str, Any]:
    """The preferences in the unified grid shape (HA 2026.3 on)."""
    grid = {
        "type": "grid",
        "stat_energy_from": IMPORT_ID,
        "stat_energy_to": EXPORT_ID,
        "stat_cost": None,
        "entity_energy_price": None,
        "number_energy_price": 0.30,
        "stat_compensation": None,
        "entity_energy_price_export": None,
        "number_energy_price_export": 0.08,
        "stat_rate": GRID_POWER_ID,
        "power_config": {"stat_rate": GRID_POWER_ID},
        "cost_adjustment_day": 0.0,
    }
    return {
        "energy_sources": [grid, *([solar_source()] if solar else [])],
        "device_consumption": device_consumption(),
        "device_consumption_water": [],
    }


def legacy_prefs(*, solar: bool = True) -> dict[str, Any]:
    """The same preferences in the older grid shape (flow_from / flow_to lists)."""
    grid = {
        "type": "grid",
        "flow_from": [
            {
                "stat_energy_from": IMPORT_ID,
                "stat_cost": None,
                "entity_energy_price": None,
                "number_energy_price": 0.30,
            }
        ],
        "flow_to": [
            {
                "stat_energy_to": EXPORT_ID,
                "stat_compensation": None,
                "entity_energy_price": None,
                "number_energy_price": 0.08,
            }
        ],
        "cost_adjustment_day": 0.0,
    }
    sources = [grid, *([solar_source()] if solar else [])]
    return {"energy_sources": sources, "device_consumption": device_consumption()}
