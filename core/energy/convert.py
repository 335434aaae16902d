"""Stored rows of one entity turned into the algorithms' inputs: meter readings, consumption
intervals, switch changes, the mains stream, and price slots from an HA price sensor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from core.energy.attribution import SwitchEvent
from core.energy.binning import utc
from core.energy.meter import Interval, Reading, energy_intervals, power_intervals
from core.energy.reader import Row, SensorInfo
from core.energy.regression import StreamItem
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


def switch_events(entity_id: str, rows: Sequence[Row]) -> list[SwitchEvent]:
    """On/off changes (not the row in force at the window start, not attribute-only updates)."""
    domain = entity_id.split(".", 1)[0]
    out = []
    for r in rows[1:] if rows else ():
        new, old = is_on(domain, r.state), is_on(domain, r.old_state)
        if new is not None and old is not None and new != old:
            out.append(SwitchEvent(entity_id, r.ts, new))
    return out


def mains_stream(
    mains: Sequence[Row], factor: float, switches: Mapping[str, Sequence[Row]]
) -> list[StreamItem]:
    """Mains readings and switch states merged in time order (for the regression)."""
    items = [StreamItem(r.ts, None, watts=number(r.state, factor)) for r in mains]
    for eid, rows in switches.items():
        domain = eid.split(".", 1)[0]
        items += [
            StreamItem(r.ts, eid, on=is_on(domain, r.state), was_on=is_on(domain, r.old_state)) for r in rows
        ]
    items.sort(key=lambda i: i.ts)
    return items


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
