"""The home's own use, added up the way HA's energy dashboard does (grid import + solar - grid export
+ battery out - battery in), on hand-computed hourly meters: unknown where any meter is unknown,
never zero; cost and carbon stay on what came from the grid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from core.energy import views
from core.energy.analysis import Inputs, analyse
from core.energy.discovery import Meters, MeterSource, Overrides, choose
from core.energy.prefs import EnergyPrefs
from core.energy.reader import SensorInfo
from core.energy.vector import Numeric
from core.slots import Slot

T0 = datetime(2025, 6, 10, 0, 0, tzinfo=UTC)
H = timedelta(hours=1)
IDS = ("sensor.import", "sensor.export", "sensor.pv", "sensor.batt_out", "sensor.batt_in")


def meter(eid: str, totals: list[float | None]) -> tuple[SensorInfo, Numeric]:
    """Hourly readings of a kWh total at T0, T0+1h, ... (None = unavailable)."""
    ts = np.array([(T0 + i * H).timestamp() for i in range(len(totals))])
    values = np.array([np.nan if v is None else v for v in totals])
    return SensorInfo(eid, "kWh", "energy", "total_increasing", None), Numeric(ts, values)


def inputs(meters: Meters, series: dict[str, list[float | None]], hours: int = 3) -> Inputs:
    built = {eid: meter(eid, v) for eid, v in series.items()}
    prices = [Slot(T0 + i * H, T0 + (i + 1) * H, 0.5, "EUR/kWh") for i in range(hours)]
    return Inputs(
        now=T0 + hours * H, tz=UTC, tz_name="UTC", history_start=T0, meters=meters,
        sensors={e: b[0] for e, b in built.items()}, numeric={e: b[1] for e, b in built.items()},
        switches={}, seeds={}, switchables=(), names={}, prices=prices,
    )  # fmt: skip


SOLAR_HOME = Meters(
    MeterSource.DASHBOARD, ("sensor.import",), ("sensor.export",),
    solar=("sensor.pv",), battery_out=("sensor.batt_out",), battery_in=("sensor.batt_in",),
)  # fmt: skip


def test_home_usage_adds_solar_and_battery_and_subtracts_export_slot_by_slot() -> None:
    # Per hour: import 1.0, 0.2, 0.5 · export 0, 1.0, 0.1 · solar 0, 2.0, 0.5 · battery out 0.3, 0, 0.2
    # · battery in 0, 0.5, 0 → home 1.3, 0.7, 1.1 (0.5+0.5-0.1+0.2).
    snap = analyse(
        inputs(
            SOLAR_HOME,
            {
                "sensor.import": [10.0, 11.0, 11.2, 11.7],
                "sensor.export": [5.0, 5.0, 6.0, 6.1],
                "sensor.pv": [100.0, 100.0, 102.0, 102.5],
                "sensor.batt_out": [1.0, 1.3, 1.3, 1.5],
                "sensor.batt_in": [2.0, 2.0, 2.5, 2.5],
            },
        )
    )
    assert [s.value for s in snap.home_usage] == pytest.approx([1.3, 0.7, 1.1])
    assert [s.value for s in snap.consumption] == pytest.approx([1.0, 0.2, 0.5])  # from the grid
    assert [s.value for s in snap.cost] == pytest.approx([0.5, 0.1, 0.25])  # cost on grid import only
    assert snap.glance.home_kwh == pytest.approx(3.1)
    assert snap.glance.kwh == pytest.approx(1.7)
    rows = views.consumption(snap, T0, T0 + 3 * H, "1h")
    assert [r.home_kwh for r in rows] == pytest.approx([1.3, 0.7, 1.1])
    assert views.home_total(rows) == pytest.approx(3.1)


def test_a_slot_with_an_unknown_solar_reading_is_unknown_not_grid_only() -> None:
    # The solar meter's readings stop after the first hour (its inverter went offline): the later
    # hours' home use is unknown, not the grid import alone.
    snap = analyse(
        inputs(
            Meters(MeterSource.CONFIG, ("sensor.import",), solar=("sensor.pv",)),
            {"sensor.import": [10.0, 11.0, 12.0, 13.0], "sensor.pv": [100.0, 100.5]},
        )
    )
    assert [s.value for s in snap.home_usage] == pytest.approx([1.5, None, None])
    assert [s.value for s in snap.consumption] == pytest.approx([1.0, 1.0, 1.0])
    # A solar meter with no readings at all: every slot unknown, never "no sunshine".
    dark = analyse(inputs(Meters(MeterSource.CONFIG, ("sensor.import",), solar=("sensor.pv",)),
                          {"sensor.import": [10.0, 11.0, 12.0, 13.0]}))  # fmt: skip
    assert [s.value for s in dark.home_usage] == [None, None, None]
    assert dark.glance.home_kwh is None


def test_without_solar_or_battery_home_usage_is_not_claimed() -> None:
    # An export meter alone (perhaps guessed from its name) says nothing about production.
    snap = analyse(
        inputs(
            Meters(MeterSource.METADATA, ("sensor.import",), ("sensor.export",)),
            {"sensor.import": [10.0, 11.0, 12.0, 13.0], "sensor.export": [1.0, 1.0, 1.0, 1.0]},
        )
    )
    assert snap.home_usage == () and snap.glance.home_kwh is None
    rows = views.consumption(snap, T0, T0 + 3 * H, "1h")
    assert [r.home_kwh for r in rows] == [None, None, None]


def test_the_dashboard_and_the_overrides_name_solar_and_battery_meters() -> None:
    prefs = EnergyPrefs(("sensor.import",), ("sensor.export",), solar=("sensor.pv",),
                        battery_out=("sensor.batt_out",), battery_in=("sensor.batt_in",))  # fmt: skip
    found = choose(prefs, {}, Overrides())
    assert (*found.solar, *found.battery_out, *found.battery_in) == IDS[2:]
    assert found.has_home_usage
    mine = choose(prefs, {}, Overrides(solar="sensor.roof_pv"))
    assert mine.source is MeterSource.CONFIG and mine.solar == ("sensor.roof_pv",)
    assert mine.battery_in == ("sensor.batt_in",)  # the roles not overridden stay as discovered


def test_the_time_of_day_profile_follows_the_home_not_the_grid_when_solar_is_known() -> None:
    # Two days: the home uses 1 kWh every hour; solar covers all of it 10:00-14:00, so the grid
    # import drops to 0 then. The profile must show the home's flat use, not a midday dip.
    hours = 48
    pv = [0.0 if (i % 24) in range(10, 14) else 1.0 for i in range(hours)]  # grid share per hour
    imports = np.concatenate(([0.0], np.cumsum(pv))).tolist()
    solar = np.concatenate(([0.0], np.cumsum([1.0 - p for p in pv]))).tolist()
    meters = Meters(MeterSource.DASHBOARD, ("sensor.import",), solar=("sensor.pv",))
    snap = analyse(inputs(meters, {"sensor.import": imports, "sensor.pv": solar}, hours=hours))
    assert snap.correlated == "home usage"
    assert snap.time_of_day is not None
    assert snap.time_of_day.mean_kwh[12] == pytest.approx(1.0)
    grid_only = analyse(
        inputs(Meters(MeterSource.DASHBOARD, ("sensor.import",)), {"sensor.import": imports}, hours)
    )
    assert grid_only.correlated == "grid import"
    assert grid_only.time_of_day is not None and grid_only.time_of_day.mean_kwh[12] == pytest.approx(0.0)
