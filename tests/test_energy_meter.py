"""Consumption from meter readings with HA's semantics, binned into slots; cost and carbon per slot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.energy.binning import bin_intervals, grid, local_day, resample, total
from core.energy.cost import apply_rates, grams_to_kg
from core.energy.meter import Reading, energy_intervals, power_intervals
from core.energy.units import kwh_factor, watt_factor
from core.slots import Slot

T0 = datetime(2025, 11, 3, 0, 0, tzinfo=UTC)
H = 3600.0


def at(hours: float) -> float:
    return T0.timestamp() + hours * H


def hourly(hours: int) -> list[datetime]:
    return grid(T0, T0 + timedelta(hours=hours), 60)


def values(slots: list[Slot]) -> list[float | None]:
    return [None if s.value is None else round(s.value, 6) for s in slots]


def test_units_normalise_to_kwh_and_watts() -> None:
    assert kwh_factor("Wh") == 0.001
    assert kwh_factor("MWh") == 1000.0
    assert kwh_factor("MJ") == pytest.approx(1 / 3.6)
    assert watt_factor("kW") == 1000.0
    assert kwh_factor("°C") is None and watt_factor("kWh") is None


def test_total_increasing_reset_counts_the_new_value_and_a_dip_goes_negative() -> None:
    readings = [Reading(at(0), 10.0), Reading(at(1), 10.5), Reading(at(2), 0.2), Reading(at(3), 0.19)]
    result = energy_intervals(readings, "total_increasing")
    assert [iv.kwh for iv in result.intervals] == [0.5, 0.2, pytest.approx(-0.01)]
    assert result.resets == 1 and result.dips == 1
    assert values(bin_intervals(result.intervals, hourly(3))) == [0.5, 0.2, -0.01]


def test_unavailable_is_not_zero_and_the_next_reading_carries_the_use() -> None:
    readings = [Reading(at(0), 5.0), Reading(at(1), None), Reading(at(2), 6.0)]
    intervals = energy_intervals(readings, "total_increasing").intervals
    # The meter's total is cumulative: the 1 kWh used across the outage is spread over it.
    assert values(bin_intervals(intervals, hourly(3))) == [0.5, 0.5, None]


def test_total_with_last_reset_starts_a_cycle_and_keeps_real_negative_changes() -> None:
    day1, day2 = at(-1), at(1.5)
    readings = [
        Reading(at(0), 3.0, day1),
        Reading(at(1), 2.5, day1),  # net meter exported 0.5 kWh
        Reading(at(2), 0.4, day2),  # new cycle: 0.4 kWh since the reset
    ]
    result = energy_intervals(readings, "total")
    assert [iv.kwh for iv in result.intervals] == [-0.5, 0.4]
    assert result.resets == 1


def test_upward_meter_swap_is_flagged_and_its_slot_unknown() -> None:
    readings = [Reading(at(0), 100.0), Reading(at(1), 101.0), Reading(at(2), 5000.0), Reading(at(3), 5001.0)]
    result = energy_intervals(readings, "total_increasing", max_watts=25_000)
    assert len(result.suspicious) == 1 and result.suspicious[0].kwh == pytest.approx(4899.0)
    assert values(bin_intervals(result.intervals, hourly(3))) == [1.0, None, 1.0]


def test_power_integration_stops_while_unavailable() -> None:
    readings = [Reading(at(0), 1000.0), Reading(at(0.5), None), Reading(at(1), 500.0)]
    intervals = power_intervals(readings, until=at(2))
    quarters = bin_intervals(intervals, grid(T0, T0 + timedelta(hours=2), 15))
    assert values(quarters) == [0.25, 0.25, None, None, 0.125, 0.125, 0.125, 0.125]
    # An hour with a 30-minute hole is unknown, not half of it.
    assert values(resample(quarters, hourly(2))) == [None, 0.5]
    assert total(quarters) == pytest.approx(1.0)


def test_slots_before_the_first_reading_are_unknown() -> None:
    readings = [Reading(at(1), 1.0), Reading(at(2), 2.0)]
    intervals = energy_intervals(readings, "total_increasing").intervals
    assert values(bin_intervals(intervals, hourly(3))) == [None, 1.0, None]


@pytest.mark.parametrize(
    ("day", "quarters"), [(datetime(2025, 3, 30, 12), 92), (datetime(2025, 10, 26, 12), 100)]
)
def test_dst_days_have_92_and_100_quarters(day: datetime, quarters: int) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start, end = local_day(day.replace(tzinfo=berlin), berlin)
    assert len(grid(start, end, 15)) - 1 == quarters
    # A meter running at 400 W all day uses 0.1 kWh per quarter, 9.2 or 10.0 kWh in the day.
    power = [Reading(start.timestamp(), 400.0)]
    slots = bin_intervals(power_intervals(power, end.timestamp()), grid(start, end, 15))
    assert total(slots) == pytest.approx(quarters * 0.1)


def quarter_prices(prices: list[float | None]) -> list[Slot]:
    return [
        Slot(T0 + timedelta(minutes=15 * i), T0 + timedelta(minutes=15 * (i + 1)), p, "EUR/kWh")
        for i, p in enumerate(prices)
    ]


def test_quarter_hour_prices_against_an_hourly_meter() -> None:
    # 1 kWh in the first quarter hour only (a kettle), read by a meter every 15 minutes.
    readings = [Reading(at(0), 10.0), Reading(at(0.25), 11.0), Reading(at(1), 11.0)]
    intervals = energy_intervals(readings, "total_increasing").intervals
    prices = quarter_prices([0.40, 0.20, 0.20, 0.20])
    on_quarters = apply_rates(bin_intervals(intervals, grid(T0, T0 + timedelta(hours=1), 15)), prices)
    assert on_quarters.exact and on_quarters.slots[0].unit == "EUR"
    assert total(on_quarters.slots) == pytest.approx(0.40)
    # Priced per hour instead, the same kWh gets the hour's mean price and says it is approximate.
    per_hour = apply_rates(bin_intervals(intervals, hourly(1)), prices)
    assert not per_hour.exact
    assert per_hour.slots[0].value == pytest.approx(0.25)


def test_unknown_price_or_consumption_gives_unknown_cost() -> None:
    readings = [Reading(at(0), 400.0)]
    consumption = bin_intervals(power_intervals(readings, at(1)), grid(T0, T0 + timedelta(hours=1), 15))
    priced = apply_rates(consumption, quarter_prices([0.3, None, 0.3]))  # the fourth quarter is missing
    assert values(priced.slots) == [0.03, None, 0.03, None]


def test_carbon_is_reported_in_kg() -> None:
    consumption = [Slot(T0, T0 + timedelta(hours=1), 2.0, "kWh")]
    intensity = [
        Slot(T0, T0 + timedelta(minutes=30), 100.0, "gCO2/kWh"),
        Slot(T0 + timedelta(minutes=30), T0 + timedelta(hours=1), 300.0, "gCO2/kWh"),
    ]
    kg = grams_to_kg(apply_rates(consumption, intensity).slots)
    assert kg[0].value == pytest.approx(0.4) and kg[0].unit == "kgCO2"
