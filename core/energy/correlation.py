"""How the home's consumption follows the weather and the time of day, with how strongly (R²) and on
how much data (n). Only slots where both sides are known count.

Weather: per local day, kWh against heating degree-hours (Σ max(0, 18 °C - T) over the day's hours)
and cooling degree-hours (Σ max(0, T - 22 °C)); a least-squares line gives kWh per degree-hour.
Daily sums keep the time-of-day pattern (people cook at 18:00 whatever the weather) out of it.
Time of day: mean kWh per local hour of day; R² is the share of the hourly variance those means
explain (η²).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, tzinfo

from core.slots import Slot

HEATING_BASE_C = 18.0
COOLING_BASE_C = 22.0
MIN_DAYS = 7


@dataclass(frozen=True, slots=True)
class Fit:
    slope: float  # kWh per degree-hour
    intercept: float  # kWh per day without heating/cooling demand
    r2: float
    n: int  # days used


@dataclass(frozen=True, slots=True)
class WeatherCorrelation:
    heating: Fit | None  # None: not enough days with both data, or no spread in degree-hours
    cooling: Fit | None
    days: int


@dataclass(frozen=True, slots=True)
class HourProfile:
    mean_kwh: tuple[float | None, ...]  # 24 entries, local hour of day
    r2: float | None
    n: int  # hourly slots used


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> Fit | None:
    """Ordinary least squares y = a + b x; None with fewer than MIN_DAYS points or no spread in x."""
    n = len(xs)
    if n < MIN_DAYS:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    r2 = 0.0 if syy <= 1e-12 else sxy * sxy / (sxx * syy)
    return Fit(slope, my - slope * mx, r2, n)


def _hourly_pairs(consumption: Sequence[Slot], temperature: Sequence[Slot]) -> list[tuple[Slot, float]]:
    """Consumption slots paired with the temperature slot covering their start (both known)."""
    temps = [t for t in temperature if t.value is not None]
    pairs: list[tuple[Slot, float]] = []
    j = 0
    for c in consumption:
        if c.value is None:
            continue
        while j < len(temps) and temps[j].end <= c.start:
            j += 1
        if j < len(temps) and temps[j].covers(c.start):
            pairs.append((c, temps[j].value))  # type: ignore[arg-type]
    return pairs


def weather(consumption: Sequence[Slot], temperature: Sequence[Slot], tz: tzinfo) -> WeatherCorrelation:
    """Daily kWh against daily heating and cooling degree-hours (hourly consumption slots expected).
    A day counts only when every one of its consumption slots is known and has a temperature."""
    days: dict[date, list[tuple[float, float, float]]] = {}
    slots_per_day: dict[date, int] = {}
    for c in consumption:
        d = c.start.astimezone(tz).date()
        slots_per_day[d] = slots_per_day.get(d, 0) + 1
    for c, temp in _hourly_pairs(consumption, temperature):
        hours = c.minutes / 60.0
        heat = max(0.0, HEATING_BASE_C - temp) * hours
        cool = max(0.0, temp - COOLING_BASE_C) * hours
        days.setdefault(c.start.astimezone(tz).date(), []).append((c.value, heat, cool))  # type: ignore[arg-type]
    complete = [rows for d, rows in days.items() if len(rows) == slots_per_day[d] and len(rows) >= 20]
    kwh = [sum(r[0] for r in rows) for rows in complete]
    heating = linear_fit([sum(r[1] for r in rows) for rows in complete], kwh)
    cooling = linear_fit([sum(r[2] for r in rows) for rows in complete], kwh)
    return WeatherCorrelation(heating, cooling, len(complete))


def time_of_day(consumption: Sequence[Slot], tz: tzinfo) -> HourProfile:
    """Mean kWh per local hour of day and the share of variance it explains."""
    groups: list[list[float]] = [[] for _ in range(24)]
    for c in consumption:
        if c.value is not None:
            groups[c.start.astimezone(tz).hour].append(c.value)
    values = [v for g in groups for v in g]
    n = len(values)
    means = tuple(sum(g) / len(g) if g else None for g in groups)
    if n < 24 * 2:
        return HourProfile(means, None, n)
    grand = sum(values) / n
    total = sum((v - grand) ** 2 for v in values)
    between = sum(len(g) * ((sum(g) / len(g)) - grand) ** 2 for g in groups if g)
    return HourProfile(means, None if total <= 1e-12 else between / total, n)
