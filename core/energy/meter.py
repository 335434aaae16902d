"""A meter's readings turned into consumption intervals, with Home Assistant's semantics.

Energy sensors (`total_increasing`, `total`) report a running total: consumption is the change
between two readings, spread evenly over the time between them (a flat reading still holds; HA
fires state_changed only on a change). Power sensors are integrated as a step function (a left
Riemann sum), and integration stops while the sensor is unavailable.

Times are epoch seconds (floats) here: these loops run over months of readings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from core.energy.cooperate import breathe

RESET_RATIO = 0.9
"""HA's `reset_detected`: a total_increasing value below 90 % of the previous one starts a new cycle."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One state of a meter: `value` already in kWh (energy) or W (power); None = not numeric."""

    ts: float
    value: float | None
    last_reset: float | None = None  # only for state_class `total`: when the current cycle began


@dataclass(frozen=True, slots=True)
class Interval:
    """Energy used in [start, end); kwh None means "something was used, but how much is unknown"."""

    start: float
    end: float
    kwh: float | None


@dataclass(frozen=True, slots=True)
class MeterIntervals:
    intervals: list[Interval]
    resets: int = 0  # new cycles (HA counts the whole new value as consumption)
    dips: int = 0  # small drops of a total_increasing meter (HA warns; the sum goes down)
    rejected: int = 0  # negative totals (HA rejects them)
    suspicious: list[Interval] = field(default_factory=list)  # jumps above plausible power: meter swap?


def energy_intervals(
    readings: Iterable[Reading], state_class: str, *, max_watts: float | None = None
) -> MeterIntervals:
    """Consumption between consecutive numeric readings of an energy meter.

    total_increasing: a drop below 90 % of the previous value is a reset (the new value is all new
    consumption); a smaller drop is a dip, counted as negative like HA's sum. total: a changed
    `last_reset` starts a new cycle; otherwise negative changes are real (net meters).
    A change above `max_watts` over its elapsed time (an upward meter swap HA cannot detect) is kept
    as an interval of unknown energy and listed in `suspicious`.
    """
    out: list[Interval] = []
    suspicious: list[Interval] = []
    resets = dips = rejected = 0
    prev: Reading | None = None
    increasing = state_class == "total_increasing"
    for r in readings:
        breathe()
        if r.value is None:
            continue
        if increasing and r.value < 0:
            rejected += 1
            continue
        if prev is None or prev.value is None:
            prev = r
            continue
        if _new_cycle(r, prev, increasing):
            delta, resets = r.value, resets + 1
        else:
            delta = r.value - prev.value
            dips += increasing and delta < 0
        interval = Interval(prev.ts, r.ts, delta)
        if max_watts is not None and delta > max_watts * max(r.ts - prev.ts, 1.0) / 3.6e6:
            suspicious.append(interval)
            interval = Interval(prev.ts, r.ts, None)
        if r.ts > prev.ts:
            out.append(interval)
        elif interval.kwh is not None and out and out[-1].kwh is not None:
            # Two readings at one instant: no time to spread the change over, so it joins the interval
            # before (an unknown-size jump at an instant covers no time and marks nothing).
            last = out[-1]
            out[-1] = Interval(last.start, last.end, last.kwh + delta)  # type: ignore[operator]
        prev = r
    return MeterIntervals(out, resets, dips, rejected, suspicious)


def _new_cycle(r: Reading, prev: Reading, increasing: bool) -> bool:
    """A reset (total_increasing below 90 % of the previous value) or a new last_reset (total)."""
    if increasing:
        return r.value is not None and prev.value is not None and r.value < RESET_RATIO * prev.value
    return r.last_reset is not None and r.last_reset != prev.last_reset


def power_intervals(readings: Iterable[Reading], until: float) -> list[Interval]:
    """Integrate a power sensor (W) as a step function up to `until`; unavailable spans are gaps."""
    out: list[Interval] = []
    prev: Reading | None = None
    for r in readings:
        breathe()
        if prev is not None and prev.value is not None and r.ts > prev.ts:
            out.append(Interval(prev.ts, r.ts, prev.value * (r.ts - prev.ts) / 3.6e6))
        prev = r
    if prev is not None and prev.value is not None and until > prev.ts:
        out.append(Interval(prev.ts, until, prev.value * (until - prev.ts) / 3.6e6))
    return out
