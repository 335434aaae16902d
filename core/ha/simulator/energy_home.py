"""The demo home's energy: a whole-home meter whose power is the true draw of its switchable loads plus
a wandering base load, an import meter that integrates that power, and the energy dashboard's
preferences (`energy/get_prefs`).

Each load's true power is known here (TRUE_WATTS), so the energy engine's "which switch costs what"
can be checked against the truth: loads of 50 W and more must be found, loads of 0 W must not be.
The meter behaviours draw exactly as many random numbers as the plain sensors they replace, so every
other entity's sequence stays what it was.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from core.ha.simulator.behaviours import AttrDict, Behaviour, Counter, NumericSensor, Reading, Tick, fmt
from core.ha.simulator.demo_home import DemoHome

POWER_ID = "sensor.house_energy_meter_power"
IMPORT_ID = "sensor.house_energy_meter_energy_import"
EXPORT_ID = "sensor.house_energy_meter_energy_export"
LIGHT_WATTS = 8.0

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


class IntegratingMeter(Counter):
    """A total_increasing import meter that adds power × time since its last write. Time is counted in
    events at the current rate (like every simulator duration), so a seed still fixes every value."""

    def __init__(self, general: AttrDict, *, value: float, step: float, weight: float = 1.0) -> None:
        super().__init__(general, value=value, step=step, weight=weight)
        self.power: Callable[[], float] | None = None
        self._last_index: int | None = None

    def _next(self, rng: random.Random, tick: Tick) -> Reading:
        rng.uniform(0.2, 1.0)  # the draw a plain Counter makes, so the home's sequence is unchanged
        if self.power is not None and self._last_index is not None:
            seconds = (tick.index - self._last_index) / tick.rate
            self.value += max(0.0, self.power()) * seconds / 3.6e6
        self._last_index = tick.index
        return self._reading(fmt(self.value, 3))


def wire(home: DemoHome) -> None:
    """Connect the house meter to the loads, and set the energy dashboard's preferences."""
    power = home.entities.get(POWER_ID)
    if power is None or not isinstance(power.behaviour, HouseMeterPower):
        return
    meter = power.behaviour
    meter.loads = [(home.entities[eid].behaviour, w) for eid, w in true_watts(home).items() if w > 0]
    energy = home.entities.get(IMPORT_ID)
    if energy is not None and isinstance(energy.behaviour, IntegratingMeter):
        energy.behaviour.power = meter.watts
    home.energy_prefs = unified_prefs()


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


def unified_prefs() -> dict[str, Any]:
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
        "stat_rate": POWER_ID,
        "power_config": {"stat_rate": POWER_ID},
        "cost_adjustment_day": 0.0,
    }
    return {
        "energy_sources": [grid],
        "device_consumption": device_consumption(),
        "device_consumption_water": [],
    }


def legacy_prefs() -> dict[str, Any]:
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
    return {"energy_sources": [grid], "device_consumption": device_consumption()}
