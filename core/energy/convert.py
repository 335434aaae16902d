"""Stored rows of one entity turned into the algorithms' inputs: meter readings, consumption
intervals, switch changes, the mains stream, and price slots from an HA price sensor."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np

from core.energy.attribution import SwitchEvent
from core.energy.binning import utc
from core.energy.meter import Interval, Reading, energy_intervals, power_intervals
from core.energy.reader import Row, SensorInfo
from core.energy.regression import SwitchSeries, series_from_states
from core.energy.states import is_on, number
from core.energy.units import kwh_factor, watt_factor
from core.slots import Slot

MAX_HOUSE_W = 100_000.0
"""Above this (over a reading's elapsed time) a jump is a meter swap, not consumption."""


def _reset_ts(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def meter_intervals(rows: Sequence[Row], info: SensorInfo | None, until: float) -> list[Interval]:
    """Consumption intervals of an energy total or, failing that, a power sensor."""
    if info is None:
        return []
    factor = kwh_factor(info.unit)
    if factor is not None:
        readings = [Reading(r.ts, number(r.state, factor), _reset_ts(r.last_reset)) for r in rows]
        state_class = info.state_class or "total_increasing"
        return energy_intervals(readings, state_class, max_watts=MAX_HOUSE_W).intervals
    factor = watt_factor(info.unit)
    if factor is not None:
        return power_intervals([Reading(r.ts, number(r.state, factor)) for r in rows], until)
    return []


def on_states(entity_id: str, states: Sequence[str | None]) -> list[bool | None]:
    """is_on for many states of one entity (a handful of distinct strings: looked up once each)."""
    domain = entity_id.split(".", 1)[0]
    cache: dict[str | None, bool | None] = {}
    out = []
    for state in states:
        if state not in cache:
            cache[state] = is_on(domain, state)
        out.append(cache[state])
    return out


def switch_series(entity_id: str, rows: Sequence[Row]) -> SwitchSeries:
    """A switch's rows as arrays for the regression (the row in force at the window start included)."""
    new = on_states(entity_id, [r.state for r in rows])
    old = on_states(entity_id, [r.old_state for r in rows])
    return series_from_states([r.ts for r in rows], new, old)


def switch_events(entity_id: str, rows: Sequence[Row]) -> list[SwitchEvent]:
    """On/off changes (not the row in force at the window start, not attribute-only updates)."""
    new = on_states(entity_id, [r.state for r in rows])
    old = on_states(entity_id, [r.old_state for r in rows])
    return [
        SwitchEvent(entity_id, rows[i].ts, bool(new[i]))
        for i in range(1, len(rows))
        if new[i] is not None and old[i] is not None and new[i] != old[i]
    ]


def mains_arrays(mains: Sequence[Row], factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Mains reading times and watts (NaN where not numeric)."""
    ts = np.fromiter((r.ts for r in mains), dtype=float, count=len(mains))
    watts = np.fromiter(
        (np.nan if (v := number(r.state, factor)) is None else v for r in mains),
        dtype=float,
        count=len(mains),
    )
    return ts, watts


def price_slots(rows: Sequence[Row], info: SensorInfo | None, until: float) -> list[Slot]:
    """An HA price sensor's history as slots: each value holds until the next change (HA price
    sensors step on the hour or quarter); the unit names the currency per kWh or MWh."""
    unit = (info.unit if info else None) or ""
    per_mwh = unit.upper().endswith("/MWH")
    currency = unit.split("/", 1)[0] if "/" in unit else ""
    out: list[Slot] = []
    for r, nxt in zip(rows, [*rows[1:], None], strict=True):
        end = nxt.ts if nxt is not None else until
        if end <= r.ts:
            continue
        value = number(r.state, 0.001 if per_mwh else 1.0)
        out.append(Slot(utc(r.ts), utc(end), value, f"{currency}/kWh"))
    return out
