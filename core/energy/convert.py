"""Stored rows of one entity turned into the algorithms' inputs: consumption intervals of a meter,
switch states and changes, mains watts, and price slots from an HA price sensor."""

from __future__ import annotations

import numpy as np

from core.energy import vector
from core.energy.binning import utc
from core.energy.reader import SensorInfo, SwitchRows
from core.energy.regression import SwitchSeries
from core.energy.units import kwh_factor, watt_factor
from core.energy.vector import Numeric
from core.slots import Slot

MAX_HOUSE_W = 100_000.0
"""Above this (over a reading's elapsed time) a jump is a meter swap, not consumption."""


def meter_intervals(data: Numeric | None, info: SensorInfo | None, until: float) -> vector.Intervals:
    """Consumption intervals of an energy total or, failing that, a power sensor."""
    if info is None or data is None:
        return vector.EMPTY
    factor = kwh_factor(info.unit)
    if factor is not None:
        state_class = info.state_class or "total_increasing"
        return vector.energy_intervals(data, state_class, factor, max_watts=MAX_HOUSE_W)
    factor = watt_factor(info.unit)
    if factor is not None:
        return vector.power_intervals(data, until, factor)
    return vector.EMPTY


def switch_data(rows: SwitchRows) -> tuple[SwitchSeries, np.ndarray]:
    """A switch's states for the regression, and which of its rows are on/off changes (for the
    step method; not the row in force at the window start, not unknown states)."""
    changed = np.isfinite(rows.on) & np.isfinite(rows.was_on) & (rows.on != rows.was_on)
    if len(changed):
        changed[0] = False
    initial = float(rows.was_on[0]) if len(rows.was_on) else float("nan")
    return SwitchSeries(rows.ts, rows.on, initial, int(changed.sum())), changed


def mains_watts(data: Numeric, factor: float) -> np.ndarray:
    return data.value * factor


def price_slots(data: Numeric | None, info: SensorInfo | None, until: float) -> list[Slot]:
    """An HA price sensor's history as slots: each value holds until the next change (HA price
    sensors step on the hour or quarter); the unit names the currency per kWh or MWh."""
    if data is None or len(data) == 0:
        return []
    unit = (info.unit if info else None) or ""
    scale = 0.001 if unit.upper().endswith("/MWH") else 1.0
    currency = unit.split("/", 1)[0] if "/" in unit else ""
    ends = np.append(data.ts[1:], max(until, data.ts[-1]))
    out: list[Slot] = []
    for start, end, value in zip(data.ts, ends, data.value, strict=True):
        if end > start:
            known = None if not np.isfinite(value) else float(value) * scale
            out.append(Slot(utc(float(start)), utc(float(end)), known, f"{currency}/kWh"))
    return out
