"""The demo home's rooftop solar: the sun where the almanac puts it, production on the simulator's
clock (a virtual day has its night and its noon), and grid import and export net of that production
so that import + solar - export is the home's use, live and in the long-term statistics."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest

from core.ha.simulator import SimulatorConfig
from core.ha.simulator.activity import Activity
from core.ha.simulator.behaviours import Tick
from core.ha.simulator.demo_home import DemoHome
from core.ha.simulator.energy_home import (
    EXPORT_ID,
    GRID_POWER_ID,
    IMPORT_ID,
    POWER_ID,
    ROOF,
    SOLAR_ENERGY_ID,
    SOLAR_POWER_ID,
    IntegratingMeter,
)
from core.ha.simulator.energy_statistics import HOUSE_PROFILE_KWH
from core.ha.simulator.server import build_home
from core.ha.simulator.solar import (
    HOME_LATITUDE,
    HOME_LONGITUDE,
    clear_sky_kwh,
    clear_sky_watts,
    sun_position,
)
from tests.sim_helpers import authed, call, running

BERLIN = ZoneInfo("Europe/Berlin")


def _at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).timestamp()


@pytest.mark.parametrize(
    "rise, sets",
    [("2026-06-21T04:43", "2026-06-21T21:33"), ("2026-12-21T08:15", "2026-12-21T15:54")],
)
def test_the_sun_is_on_the_horizon_at_berlins_published_sunrise_and_sunset(rise: str, sets: str) -> None:
    # Published times are for the upper limb with refraction: the centre is then 0.83° below.
    for text in (rise, sets):
        elevation = sun_position(_at(text), HOME_LATITUDE, HOME_LONGITUDE).elevation
        assert elevation == pytest.approx(-0.83, abs=0.4), text


def test_noon_elevation_and_direction_follow_the_season() -> None:
    summer = sun_position(_at("2026-06-21T13:08"), HOME_LATITUDE, HOME_LONGITUDE)
    winter = sun_position(_at("2026-12-21T12:04"), HOME_LATITUDE, HOME_LONGITUDE)
    assert summer.elevation == pytest.approx(90 - HOME_LATITUDE + 23.44, abs=0.2)
    assert winter.elevation == pytest.approx(90 - HOME_LATITUDE - 23.44, abs=0.2)
    assert summer.azimuth == pytest.approx(180, abs=2) and winter.azimuth == pytest.approx(180, abs=2)
    morning = sun_position(_at("2026-06-21T07:00"), HOME_LATITUDE, HOME_LONGITUDE)
    assert 45 < morning.azimuth < 135  # east of south before noon


def test_clear_sky_production_is_zero_at_night_peaks_at_noon_and_stays_under_the_peak_power() -> None:
    day = _at("2026-06-21T00:00")
    watts = [clear_sky_watts(day + m * 60, ROOF) for m in range(24 * 60)]
    assert watts[2 * 60] == 0.0 and watts[23 * 60] == 0.0
    assert max(watts) <= ROOF.peak_w
    assert abs(watts.index(max(watts)) - (13 * 60 + 8)) <= 20  # local solar noon is 13:08 CEST
    summer = clear_sky_kwh(day, day + 86400, ROOF, samples=288)
    winter = clear_sky_kwh(_at("2026-12-21T00:00"), _at("2026-12-22T00:00"), ROOF, samples=288)
    assert 20.0 < summer < 35.0 and 3.0 < winter < summer / 2  # kWh a clear day makes with 4 kWp


def _meters(home: DemoHome, rng: random.Random, tick: Tick) -> dict[str, float]:
    """Have the three meters write now (all at the same event), and return their readings."""
    out = {}
    for eid in (IMPORT_ID, EXPORT_ID, SOLAR_ENERGY_ID):
        reading = home.entities[eid].behaviour.step(rng, tick)
        assert reading is not None
        out[eid] = float(reading.state)
    return out


def test_on_a_virtual_summer_day_import_plus_solar_minus_export_is_the_homes_use() -> None:
    home = build_home(SimulatorConfig(rate=1.0))
    frames: list[bytes] = []
    home.bus.subscribe("state_changed", frames.append, 1)
    midnight = int(_at("2026-06-21T00:00") * 1e6)
    activity = Activity(home, random.Random("solar-day"), 1.0, origin_us=midnight)  # 1 event per second
    probe = random.Random("probe")
    before = _meters(home, probe, activity.tick)
    while activity.tick.index < 86400:
        activity.emit(2000)
    after = _meters(home, probe, activity.tick)
    grid_in, grid_out, solar = (after[e] - before[e] for e in (IMPORT_ID, EXPORT_ID, SOLAR_ENERGY_ID))
    assert grid_in > 0 and grid_out > 0 and solar > 10.0  # nights from the grid, a sunny noon to it

    # The home's use as the mains sensor (consumer side) reported it, integrated over the day.
    powers: list[tuple[int, float]] = []
    solar_watts: list[tuple[int, float]] = []
    grid_watts: list[tuple[int, float]] = []
    for order, frame in enumerate(frames):  # one event per simulated second: the order is the time
        data = orjson.loads(frame)["event"]["data"]
        state = (data["new_state"] or {}).get("state")
        if state in (None, "unavailable"):
            continue
        if data["entity_id"] in (POWER_ID, SOLAR_POWER_ID):
            (powers if data["entity_id"] == POWER_ID else solar_watts).append((order, float(state)))
        elif data["entity_id"] == GRID_POWER_ID:
            grid_watts.append((order, float(state)))
    used = sum(a[1] * (b[0] - a[0]) for a, b in itertools.pairwise(powers)) / 3.6e6
    used *= activity.tick.index / (powers[-1][0] - powers[0][0])  # the day's length, not the sampled span
    assert grid_in + solar - grid_out == pytest.approx(used, rel=0.03)

    # The inverter's power follows the sun on the virtual clock: dark at night, strongest near noon.
    hours = {order // 3600: w for order, w in solar_watts}
    assert all(hours.get(h, 0.0) == 0.0 for h in (0, 1, 2, 3, 22, 23))
    assert max(w for _, w in solar_watts) > 1500.0
    peak_hour = max(solar_watts, key=lambda item: item[1])[0] / 3600
    assert 10.0 <= peak_hour <= 16.5
    # The grid connection's power (HA's grid stat_rate) is negative while the roof exports.
    assert all(w > 0 for order, w in grid_watts if order // 3600 in (0, 1, 2, 23))
    assert any(w < 0 for order, w in grid_watts if 11 <= order // 3600 <= 15)


def test_the_identity_holds_exactly_in_the_meters_own_readings() -> None:
    home = build_home(SimulatorConfig(rate=2.0))
    activity = Activity(home, random.Random("ledger"), 2.0, origin_us=int(_at("2026-05-01T06:00") * 1e6))
    probe = random.Random("probe")
    before = _meters(home, probe, activity.tick)
    meter = home.entities[IMPORT_ID].behaviour
    assert isinstance(meter, IntegratingMeter) and meter.flows is not None
    start_home = meter.flows.home
    activity.emit(20_000)  # until about 08:45
    after = _meters(home, probe, activity.tick)
    home_kwh = meter.flows.home - start_home
    net = after[IMPORT_ID] - before[IMPORT_ID] + after[SOLAR_ENERGY_ID] - before[SOLAR_ENERGY_ID]
    net -= after[EXPORT_ID] - before[EXPORT_ID]
    assert net == pytest.approx(home_kwh, abs=0.002)  # readings have three decimals
    assert home_kwh > 0.3


async def test_hourly_statistics_net_the_roof_against_the_homes_use() -> None:
    async with running() as sim, authed(sim) as ws:
        start = datetime(2026, 6, 21, 0, 0, tzinfo=sim.time_zone)
        reply = await call(
            ws, 1, "recorder/statistics_during_period", start_time=start.isoformat(),
            end_time=(start + timedelta(days=1)).isoformat(),
            statistic_ids=[IMPORT_ID, EXPORT_ID, SOLAR_ENERGY_ID], period="hour", types=["change"],
        )  # fmt: skip
        rows = {
            eid: [r["change"] for r in reply["result"][eid]]
            for eid in (IMPORT_ID, EXPORT_ID, SOLAR_ENERGY_ID)
        }
    grid_in, grid_out, solar = rows[IMPORT_ID], rows[EXPORT_ID], rows[SOLAR_ENERGY_ID]
    assert len(solar) == 24
    for hour in range(24):
        assert grid_in[hour] + solar[hour] - grid_out[hour] == pytest.approx(
            HOUSE_PROFILE_KWH[hour], abs=2e-6
        )
        assert min(grid_in[hour], grid_out[hour]) == 0.0  # within an hour the grid goes one way
    assert solar[0] == solar[23] == 0.0 and max(solar) == solar[13]
    assert sum(grid_out) > 5.0  # a June day's surplus
