"""Cost and carbon of consumption: kWh of a slot times the rate (price or grid intensity) of the same
slot. A slot with unknown consumption or an unknown rate has an unknown product, never zero.

Consumption slots should be no longer than the rate's slots (the engine bins meter data onto the
price grid, e.g. 15-minute quarters, before pricing it). A longer consumption slot (hourly
statistics against quarter-hour prices) is priced at the time-weighted mean of the rates it spans,
which assumes even use within the hour; `Priced.exact` says whether that happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.energy.cooperate import breathe
from core.slots import Slot

GRAMS_PER_KG = 1000.0


@dataclass(frozen=True, slots=True)
class Priced:
    slots: list[Slot]  # one per consumption slot, in the rate's numerator unit ("EUR", "gCO2")
    exact: bool  # every consumption slot lay within one rate slot


def product_unit(rate_unit: str) -> str:
    """'EUR/kWh' -> 'EUR', 'gCO2/kWh' -> 'gCO2'."""
    return rate_unit.split("/", 1)[0] if "/" in rate_unit else rate_unit


def _rate_for(
    start: float, end: float, rates: Sequence[Slot], bounds: list[tuple[float, float]], first: int
) -> tuple[float | None, int, int]:
    """Time-weighted rate over [start, end) and how many rate slots it spans; None if any part is unknown."""
    weighted = covered = 0.0
    spans = 0
    i = first
    while i < len(rates) and bounds[i][0] < end:
        a, b = bounds[i]
        overlap = min(b, end) - max(a, start)
        if overlap > 0:
            value = rates[i].value
            if value is None:
                return None, i, spans + 1
            weighted += value * overlap
            covered += overlap
            spans += 1
        i += 1
    if covered < (end - start) - 1e-6:
        return None, first, spans
    return weighted / covered, first, spans


def apply_rates(consumption: Sequence[Slot], rates: Sequence[Slot]) -> Priced:
    """kWh × rate for each consumption slot (both sorted by start)."""
    if not rates:
        return Priced([Slot(c.start, c.end, None, "") for c in consumption], True)
    unit = product_unit(rates[0].unit)
    rate_start = np.array([r.start.timestamp() for r in rates])
    rate_end = np.array([r.end.timestamp() for r in rates])
    start = np.array([c.start.timestamp() for c in consumption])
    end = np.array([c.end.timestamp() for c in consumption])
    # The rate slots a consumption slot overlaps are [first, stop): ends after its start, starts
    # before its end. The usual case, one whole rate slot around it, takes its rate as it is.
    first = np.searchsorted(rate_end, start, side="right")
    stop = np.searchsorted(rate_start, end, side="left")
    around = np.minimum(first, len(rates) - 1)
    single = (stop - first == 1) & (rate_start[around] <= start) & (rate_end[around] >= end)
    values: list[float | None] = [None] * len(consumption)
    exact = bool(np.all(stop - first <= 1))
    bounds = list(zip(rate_start.tolist(), rate_end.tolist(), strict=True))
    for k, c in enumerate(consumption):
        breathe()
        if c.value is None:
            continue
        if single[k]:
            rate = rates[int(first[k])].value
        else:  # spans several rate slots, or part of it has none: time-weighted, None if a gap
            rate = _rate_for(float(start[k]), float(end[k]), rates, bounds, int(first[k]))[0]
        values[k] = None if rate is None else c.value * rate
    out = [Slot(c.start, c.end, v, unit) for c, v in zip(consumption, values, strict=True)]
    return Priced(out, exact)


def grams_to_kg(slots: Sequence[Slot]) -> list[Slot]:
    """Carbon slots in kg (the energy views report kg CO2)."""
    return [Slot(s.start, s.end, None if s.value is None else s.value / GRAMS_PER_KG, "kgCO2") for s in slots]
