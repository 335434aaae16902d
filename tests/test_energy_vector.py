"""The array versions of the meter and binning algorithms give the same slots as the readable
one-reading-at-a-time versions, on random series with resets, dips, swaps, outages and repeats."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from core.energy import vector
from core.energy.binning import bin_intervals, grid
from core.energy.meter import Reading, energy_intervals, power_intervals
from core.energy.regression import SwitchSeries, states_at

T0 = datetime(2025, 3, 29, 22, 0, tzinfo=UTC)


def random_meter(rng: random.Random, n: int) -> list[Reading]:
    t, value, out = T0.timestamp() + rng.uniform(0, 900), 100.0, []
    for _ in range(n):
        t += rng.choice((0.0, rng.expovariate(1 / 120), rng.expovariate(1 / 3000)))
        roll = rng.random()
        if roll < 0.03:
            out.append(Reading(t, None))  # unavailable
            continue
        if roll < 0.05:
            value = rng.uniform(0, 5)  # reset
        elif roll < 0.07:
            value *= 0.95  # dip
        elif roll < 0.075:
            value += 50_000  # meter swap upwards
        else:
            value += rng.uniform(0, 0.3)
        out.append(Reading(t, value))
    return out


def as_numeric(readings: list[Reading]) -> vector.Numeric:
    return vector.Numeric(
        np.array([r.ts for r in readings]),
        np.array([np.nan if r.value is None else r.value for r in readings]),
    )


def values(slots: list) -> list[float | None]:  # type: ignore[type-arg]
    return [None if s.value is None else round(s.value, 9) for s in slots]


@pytest.mark.parametrize("seed", range(12))
def test_energy_meter_arrays_match_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    readings = random_meter(rng, 600)
    edges = grid(T0, T0 + timedelta(days=3), rng.choice((15, 30, 60)))
    reference = energy_intervals(readings, "total_increasing", max_watts=25_000)
    fast = vector.energy_intervals(as_numeric(readings), "total_increasing", max_watts=25_000)
    assert (fast.resets, fast.dips, fast.suspicious) == (
        reference.resets,
        reference.dips,
        len(reference.suspicious),
    )
    for coverage in (0.9, 0.0):
        assert values(vector.bin_intervals(fast, edges, coverage)) == values(
            bin_intervals(reference.intervals, edges, coverage)
        )


@pytest.mark.parametrize("seed", range(6))
def test_power_arrays_match_the_reference(seed: int) -> None:
    rng = random.Random(100 + seed)
    readings = [Reading(r.ts, None if r.value is None else r.value % 3000) for r in random_meter(rng, 400)]
    until = readings[-1].ts + 600
    edges = grid(T0, T0 + timedelta(days=2), 15)
    fast = vector.power_intervals(as_numeric(readings), until)
    assert values(vector.bin_intervals(fast, edges)) == values(
        bin_intervals(power_intervals(readings, until), edges)
    )


def test_a_switch_state_at_each_reading_is_the_row_in_force_then() -> None:
    """states_at's run-length shortcut (sorted readings) against one search per reading."""
    rng = np.random.default_rng(1)
    for _ in range(300):
        ts = np.sort(rng.choice(np.arange(0, 100, 0.5), size=int(rng.integers(0, 20)), replace=False))
        on = rng.choice([0.0, 1.0, np.nan], size=len(ts))
        series = SwitchSeries(ts, on, float(rng.choice([0.0, 1.0, np.nan])), 0)
        times = np.sort(rng.choice(np.arange(-5, 110, 0.5), size=int(rng.integers(0, 50))))
        expected = np.concatenate(([series.initial], on))[np.searchsorted(ts, times, side="right")]
        assert np.array_equal(states_at(series, times), expected, equal_nan=True)
        shuffled = rng.permutation(times)  # unsorted readings take the per-reading search
        expected = np.concatenate(([series.initial], on))[np.searchsorted(ts, shuffled, side="right")]
        assert np.array_equal(states_at(series, shuffled), expected, equal_nan=True)
