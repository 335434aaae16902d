"""Cheapest and greenest windows, shifting suggestions and correlations on hand-computed series."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.energy.correlation import time_of_day, weather
from core.energy.shifting import find_runs, suggest
from core.energy.windows import cheapest_contiguous, cheapest_slots, known_mean, mean_rate
from core.slots import Slot

T0 = datetime(2025, 11, 3, 0, 0, tzinfo=UTC)


def series(
    values: Sequence[float | None], minutes: int = 60, unit: str = "EUR/kWh", start: datetime = T0
) -> list[Slot]:
    step = timedelta(minutes=minutes)
    return [Slot(start + i * step, start + (i + 1) * step, v, unit) for i, v in enumerate(values)]


def test_cheapest_contiguous_window_skips_gaps_and_prefers_the_earliest_tie() -> None:
    prices = series([0.30, 0.10, 0.12, None, 0.05, 0.05, 0.30, 0.10, 0.12])
    end = T0 + timedelta(hours=9)
    best = cheapest_contiguous(prices, timedelta(hours=2), T0, end)
    assert best is not None
    assert (best.start, best.end) == (T0 + timedelta(hours=4), T0 + timedelta(hours=6))
    assert best.mean_rate == pytest.approx(0.05)
    # A window through the unknown slot at 03:00 is never a candidate, even when it would be cheaper.
    three = cheapest_contiguous(prices, timedelta(hours=3), T0, end)
    assert three is not None and three.start == T0 + timedelta(hours=4)
    tie = cheapest_contiguous(series([0.1, 0.2, 0.1, 0.2]), timedelta(hours=1), T0, end)
    late = cheapest_contiguous(series([0.1, 0.2, 0.1, 0.2]), timedelta(hours=1), T0, end, latest=True)
    assert tie is not None and tie.start == T0
    assert late is not None and late.start == T0 + timedelta(hours=2)


def test_hourly_prices_repeat_over_quarter_hours_for_a_90_minute_window() -> None:
    hourly = series([0.3, 0.1, 0.2, 0.4])
    quarters = series([0.5, 0.5, 0.5, 0.5], minutes=15, start=T0 + timedelta(hours=4))
    best = cheapest_contiguous(hourly + quarters, timedelta(minutes=90), T0, T0 + timedelta(hours=5))
    assert best is not None
    assert (best.start, best.end) == (T0 + timedelta(hours=1), T0 + timedelta(minutes=150))
    assert best.mean_rate == pytest.approx((4 * 0.1 + 2 * 0.2) / 6)


def test_n_cheapest_slots_merge_into_blocks_and_respect_the_deadline() -> None:
    prices = series([0.5, 0.1, 0.2, 0.6, 0.15, 0.05])
    best = cheapest_slots(prices, 3, T0, T0 + timedelta(hours=5))  # 05:00 is past the deadline
    assert best is not None
    assert best.blocks == (
        (T0 + timedelta(hours=1), T0 + timedelta(hours=3)),
        (T0 + timedelta(hours=4), T0 + timedelta(hours=5)),
    )
    assert best.mean_rate == pytest.approx(0.15)
    assert cheapest_slots(prices, 7, T0, T0 + timedelta(hours=6)) is None


def test_greenest_window_uses_the_same_search_on_carbon() -> None:
    carbon = series([300.0, 120.0, 110.0, 250.0], unit="gCO2/kWh")
    best = cheapest_contiguous(carbon, timedelta(hours=2), T0, T0 + timedelta(hours=4))
    assert best is not None and best.start == T0 + timedelta(hours=1) and best.unit == "gCO2/kWh"


def test_mean_rates_now_and_over_the_day() -> None:
    prices = series([0.2, None, 0.4])
    assert mean_rate(prices, T0, T0 + timedelta(hours=1)) == pytest.approx(0.2)
    assert mean_rate(prices, T0, T0 + timedelta(hours=2)) is None
    assert known_mean(prices, T0, T0 + timedelta(hours=3)) == pytest.approx(0.3)


def test_dryer_that_runs_at_18_would_save_at_13() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    day0 = datetime(2025, 6, 2, tzinfo=berlin).astimezone(UTC)
    consumption: list[Slot] = []
    prices: list[Slot] = []
    for d in range(5):
        base = day0 + timedelta(days=d)
        for h in range(24):
            local_hour = (base + timedelta(hours=h)).astimezone(berlin).hour
            kwh = {18: 1.5, 19: 0.5}.get(local_hour, 0.0)
            price = 0.10 if local_hour in (13, 14) else 0.30
            start = base + timedelta(hours=h)
            consumption.append(Slot(start, start + timedelta(hours=1), kwh, "kWh"))
            prices.append(Slot(start, start + timedelta(hours=1), price, "EUR/kWh"))
    assert len(find_runs(consumption)) == 5
    s = suggest("Dryer", consumption, prices, berlin)
    assert s is not None
    assert (s.usual_hour, s.usual_count, s.best_hour, s.runs) == (18, 5, 13, 5)
    # Each run: 2 kWh at 0.30 = 0.60 EUR; at 13:00 it is 2 kWh at 0.10 = 0.20 EUR.
    assert s.actual_cost == pytest.approx(3.0) and s.shifted_cost == pytest.approx(1.0)
    assert s.saving == pytest.approx(2.0) and s.currency == "EUR"


def test_no_suggestion_without_enough_runs() -> None:
    consumption = series([0.0, 1.0, 0.0], unit="kWh")
    assert suggest("Dryer", consumption, series([0.3, 0.3, 0.1]), ZoneInfo("UTC")) is None


def test_weather_correlation_finds_heating_and_reports_strength_and_size() -> None:
    rng = random.Random(4)
    consumption: list[Slot] = []
    temperature: list[Slot] = []
    for d in range(21):
        outdoor = rng.uniform(-5.0, 15.0)
        for h in range(24):
            start = T0 + timedelta(days=d, hours=h)
            # 0.3 kWh/h base + 0.05 kWh per heating degree-hour, plus noise.
            kwh = 0.3 + 0.05 * max(0.0, 18.0 - outdoor) + rng.gauss(0, 0.05)
            consumption.append(Slot(start, start + timedelta(hours=1), kwh, "kWh"))
            temperature.append(Slot(start, start + timedelta(hours=1), outdoor, "°C"))
    result = weather(consumption, temperature, UTC)
    assert result.days == 21 and result.heating is not None
    assert result.heating.slope == pytest.approx(0.05, rel=0.05)
    assert result.heating.r2 > 0.95 and result.heating.n == 21
    assert result.cooling is None  # never above 22 °C: no spread, no claim


def test_weather_needs_enough_complete_days() -> None:
    consumption = series([1.0] * 48, unit="kWh")
    temperature = series([5.0] * 24 + [None] * 24, unit="°C")
    result = weather(consumption, temperature, UTC)
    assert result.days == 1 and result.heating is None


def test_time_of_day_profile_explains_an_evening_peak() -> None:
    values = [2.0 if h % 24 in (18, 19) else 0.2 for h in range(24 * 7)]
    profile = time_of_day(series(values, unit="kWh"), UTC)
    assert profile.mean_kwh[18] == pytest.approx(2.0) and profile.mean_kwh[3] == pytest.approx(0.2)
    assert profile.r2 == pytest.approx(1.0) and profile.n == 168


def test_a_flat_tariff_gives_no_shifting_advice() -> None:
    kwh = [1.0 if h % 24 == 18 else 0.0 for h in range(24 * 5)]
    assert suggest("Dryer", series(kwh, unit="kWh"), series([0.3] * (24 * 5)), ZoneInfo("UTC")) is None
