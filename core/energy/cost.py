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
    bounds = [(r.start.timestamp(), r.end.timestamp()) for r in rates]
    unit = product_unit(rates[0].unit) if rates else ""
    out: list[Slot] = []
    exact = True
    first = 0
    for c in consumption:
        breathe()
        start, end = c.start.timestamp(), c.end.timestamp()
        while first < len(bounds) and bounds[first][1] <= start:
            first += 1
        rate, first, spans = _rate_for(start, end, rates, bounds, first)
        exact = exact and spans <= 1
        value = None if rate is None or c.value is None else c.value * rate
        out.append(Slot(c.start, c.end, value, unit))
    return Priced(out, exact)


def grams_to_kg(slots: Sequence[Slot]) -> list[Slot]:
    """Carbon slots in kg (the energy views report kg CO2)."""
    return [Slot(s.start, s.end, None if s.value is None else s.value / GRAMS_PER_KG, "kgCO2") for s in slots]
