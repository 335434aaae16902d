"""The demo home's energy: the dashboard preferences over the WebSocket, and "which switch costs what"
checked against the simulator's true loads."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import orjson

from core.energy.regression import StreamItem, regress
from core.energy.states import is_on, number
from core.ha.simulator import SimulatorConfig
from core.ha.simulator.activity import Activity
from core.ha.simulator.energy_home import (
    EXPORT_ID,
    GRID_POWER_ID,
    POWER_ID,
    SOLAR_ENERGY_ID,
    SOLAR_POWER_ID,
    HouseMeterPower,
    legacy_prefs,
    true_watts,
)
from core.ha.simulator.energy_statistics import HOUSE_PROFILE_KWH
from core.ha.simulator.server import build_home
from tests.sim_helpers import authed, call, running


async def test_get_prefs_answers_the_dashboard_or_not_found() -> None:
    async with running() as sim, authed(sim) as ws:
        reply = await call(ws, 1, "energy/get_prefs")
        assert reply["success"] is True
        grid, solar = reply["result"]["energy_sources"]
        assert (
            grid["type"] == "grid" and grid["stat_energy_from"] == "sensor.house_energy_meter_energy_import"
        )
        assert grid["stat_energy_to"] == EXPORT_ID
        assert grid["stat_rate"] == grid["power_config"]["stat_rate"] == GRID_POWER_ID
        assert solar == {
            "type": "solar",
            "stat_energy_from": SOLAR_ENERGY_ID,
            "config_entry_solar_forecast": None,
        }
        state = sim.home.states.get(SOLAR_ENERGY_ID)
        assert state is not None
        attrs = state.attributes
        assert (attrs["device_class"], attrs["state_class"], attrs["unit_of_measurement"]) == (
            "energy", "total_increasing", "kWh",
        )  # fmt: skip
        inverter = sim.home.entity_registry[SOLAR_ENERGY_ID].device_id
        assert sim.home.entity_registry[SOLAR_POWER_ID].device_id == inverter is not None
        assert sim.home.devices[inverter].name == "Solar inverter"
        assert {d["stat_consumption"] for d in reply["result"]["device_consumption"]} >= {
            "sensor.garage_car_charger_energy"
        }
        sim.home.energy_prefs = legacy_prefs()
        legacy = await call(ws, 2, "energy/get_prefs")
        old_grid, old_solar = legacy["result"]["energy_sources"]
        assert old_grid["flow_from"][0]["stat_energy_from"].endswith("_import")
        assert old_grid["flow_to"][0]["stat_energy_to"] == EXPORT_ID
        assert old_solar == solar
        sim.home.energy_prefs = None
        missing = await call(ws, 3, "energy/get_prefs")
        assert missing["success"] is False
        assert missing["error"] == {"code": "not_found", "message": "No prefs"}


def _stream(frames: list[bytes], truth: dict[str, float]) -> list[StreamItem]:
    """The house meter's readings and the loads' changes, as the energy engine reads them."""
    stream: list[StreamItem] = []
    for order, frame in enumerate(frames):  # emitted in a tight loop: the order is the time
        data = orjson.loads(frame)["event"]["data"]
        eid, new, old = data["entity_id"], data["new_state"], data["old_state"]
        state, was = (new or {}).get("state"), (old or {}).get("state")
        if eid == POWER_ID:
            stream.append(StreamItem(float(order), None, watts=number(state, 1.0)))
        elif eid in truth:
            domain = eid.split(".", 1)[0]
            stream.append(StreamItem(float(order), eid, on=is_on(domain, state), was_on=is_on(domain, was)))
    return stream


def test_house_meter_is_base_load_plus_the_loads_that_are_on() -> None:
    home = build_home(SimulatorConfig(rate=20.0))
    Activity(home, random.Random("meter"), 20.0).emit(3000)
    meter = home.entities[POWER_ID].behaviour
    assert isinstance(meter, HouseMeterPower)
    on = sum(w for eid, w in true_watts(home).items() if getattr(home.entities[eid].behaviour, "on", False))
    assert 100.0 <= meter.watts() - on <= 1000.0  # the base load's range


def test_attribution_finds_the_true_loads_and_claims_nothing_for_zero_draw() -> None:
    home = build_home(SimulatorConfig(rate=20.0))
    frames: list[bytes] = []
    home.bus.subscribe("state_changed", frames.append, 1)
    activity = Activity(home, random.Random("attribution"), 20.0)
    while len(frames) < 120_000:
        activity.emit(2000)
    truth = true_watts(home)
    results = {a.entity_id: a for a in regress(_stream(frames, truth))}
    for eid, watts in truth.items():
        a = results[eid]
        if watts >= 50.0:
            assert a.confident, (eid, a)
            assert a.watts is not None and abs(a.watts - watts) <= 0.15 * watts, (eid, watts, a)
        if watts == 0.0:
            assert not a.confident, (eid, a)


async def test_statistics_during_period_answers_hourly_changes_in_ms() -> None:
    async with running() as sim, authed(sim) as ws:
        zone = sim.time_zone
        start = datetime(2026, 1, 10, 0, 0, tzinfo=zone)
        reply = await call(
            ws, 1, "recorder/statistics_during_period", start_time=start.isoformat(),
            end_time=(start + timedelta(hours=3)).isoformat(),
            statistic_ids=["sensor.house_energy_meter_energy_import", "sensor.no_such_meter"],
            period="hour", types=["change"], units={"energy": "kWh"},
        )  # fmt: skip
        rows = reply["result"]["sensor.house_energy_meter_energy_import"]
        assert "sensor.no_such_meter" not in reply["result"]  # ids without data are absent, as in HA
        assert [r["start"] for r in rows] == [
            int((start + timedelta(hours=h)).timestamp() * 1000) for h in range(3)
        ]
        assert [r["change"] for r in rows] == [HOUSE_PROFILE_KWH[h] for h in range(3)]
        assert set(rows[0]) == {"start", "end", "change"}
        bad = await call(ws, 2, "recorder/statistics_during_period", start_time="yesterday",
                         statistic_ids=[], period="hour")  # fmt: skip
        assert bad["error"]["code"] == "invalid_start_time"
