"""One refresh of the energy engine as a pure function: loaded rows and rate slots in, a snapshot out.
CPU-heavy; the engine runs it in a worker thread, and bench/energy.py times it."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

import numpy as np

from core.energy import convert, statistics, vector
from core.energy.attribution import Attribution, StepFunction, attribute_arrays
from core.energy.binning import MIN_COVERAGE, grid, local_day, local_month_start, resample, total, utc
from core.energy.correlation import time_of_day, weather
from core.energy.cost import apply_rates, grams_to_kg
from core.energy.discovery import Meters
from core.energy.model import (
    Appliance,
    ApplianceAdvice,
    Attributed,
    DeviceUsage,
    EnergySnapshot,
    Glance,
    MonthSoFar,
)
from core.energy.reader import SensorInfo, SwitchRows
from core.energy.regression import SwitchSeries, regress_arrays
from core.energy.shifting import ShiftSuggestion, hourly_prices, suggest
from core.energy.units import watt_factor
from core.energy.vector import Numeric
from core.energy.windows import cheapest_contiguous, cheapest_slots, known_mean, mean_rate
from core.slots import Slot

DEFAULT_RESOLUTION_MIN = 15


@dataclass(frozen=True)
class Inputs:
    now: datetime
    tz: tzinfo
    tz_name: str
    history_start: datetime
    meters: Meters
    sensors: Mapping[str, SensorInfo]
    numeric: Mapping[str, Numeric]  # meters, mains power, price sensor
    switches: Mapping[str, SwitchRows]  # switchable entities (their state changes)
    seeds: Mapping[str, vector.Intervals]  # HA's hourly statistics for the months before the app
    switchables: Sequence[str]
    names: Mapping[str, str]
    prices: Sequence[Slot] = ()
    carbon: Sequence[Slot] = ()
    temperature: Sequence[Slot] = ()
    appliances: Sequence[Appliance] = ()
    notes: Sequence[str] = field(default=())


def _add(a: list[Slot], b: list[Slot]) -> list[Slot]:
    """Slot-wise sum of two meters on the same grid; unknown if either is."""
    return [
        Slot(x.start, x.end, None if x.value is None or y.value is None else x.value + y.value, x.unit)
        for x, y in zip(a, b, strict=True)
    ]


def _resolution(prices: Sequence[Slot]) -> int:
    if not prices:
        return DEFAULT_RESOLUTION_MIN
    return max(1, round(min(p.minutes for p in prices)))


def _meter_slots(
    inp: Inputs, entity_ids: Sequence[str], edges: list[datetime], min_coverage: float = MIN_COVERAGE
) -> list[Slot] | None:
    until = inp.now.timestamp()
    summed: list[Slot] | None = None
    for eid in entity_ids:
        intervals = convert.meter_intervals(inp.numeric.get(eid), inp.sensors.get(eid), until)
        if eid in inp.seeds:
            intervals = statistics.merge(inp.seeds[eid], intervals)
        slots = vector.bin_intervals(intervals, edges, min_coverage)
        summed = slots if summed is None else _add(summed, slots)
    return summed


def _house(inp: Inputs, edges: list[datetime], min_coverage: float = MIN_COVERAGE) -> list[Slot] | None:
    if inp.meters.grid_import:
        return _meter_slots(inp, inp.meters.grid_import, edges, min_coverage)
    if inp.meters.mains_power:
        return _meter_slots(inp, (inp.meters.mains_power,), edges, min_coverage)
    return None


def _combine(a: list[Slot], b: list[Slot], sign: float) -> list[Slot]:
    """a + sign × b slot by slot; unknown if either is."""
    return [
        Slot(x.start, x.end, None if x.value is None or y.value is None else x.value + sign * y.value, x.unit)
        for x, y in zip(a, b, strict=True)
    ]


def _home(inp: Inputs, edges: list[datetime], min_coverage: float = MIN_COVERAGE) -> list[Slot] | None:
    """The home's own use per slot the way HA's energy dashboard adds it up: grid import + solar
    production - grid export + battery discharge - battery charge. A slot is unknown when any of
    these meters is unknown for it (a missing solar reading must not look like no sunshine). None
    when no solar or battery meter is named (the home's use is then its grid import)."""
    m = inp.meters
    if not m.has_home_usage:
        return None
    out = _meter_slots(inp, m.grid_import, edges, min_coverage)
    flows = ((m.solar, 1.0), (m.grid_export, -1.0), (m.battery_out, 1.0), (m.battery_in, -1.0))
    for ids, sign in flows:
        part = _meter_slots(inp, ids, edges, min_coverage)
        if out is not None and part is not None:
            out = _combine(out, part, sign)
    return out


def _so_far(
    inp: Inputs, start: datetime, end: datetime
) -> tuple[float | None, float | None, float | None, datetime | None]:
    """kWh, cost and kg CO2 in [start, end), counting partly covered slots by their covered part (the
    app may have started mid-slot), and when the known data begins if that is after `start`."""
    if end <= start:
        return None, None, None, None
    slots = _house(inp, _until_now(grid(start, end, _resolution(inp.prices)), end), min_coverage=0.0)
    if slots is None:
        return None, None, None, None
    kwh = total(slots)
    cost = _priced_total(slots, inp.prices) if kwh is not None else None
    kg = _priced_total(slots, inp.carbon) if kwh is not None else None
    return kwh, cost, None if kg is None else kg / 1000.0, _first_reading(inp, start, end)


def _priced_total(slots: Sequence[Slot], rates: Sequence[Slot]) -> float | None:
    """Σ kWh × rate, or None when any slot that used energy has no known rate: a sum over part of
    the day would look like the day's cost (yesterday "+300 %" because its prices were missing)."""
    if not rates:
        return None
    priced = apply_rates(slots, rates).slots
    if any(
        s.value is not None and s.value != 0 and p.value is None for s, p in zip(slots, priced, strict=True)
    ):
        return None
    return total(priced)


def _first_reading(inp: Inputs, start: datetime, end: datetime) -> datetime | None:
    """When the house meter's data begins, if after `start` (no reading in force at `start`)."""
    ids = inp.meters.grid_import or ((inp.meters.mains_power,) if inp.meters.mains_power else ())
    a, b = start.timestamp(), end.timestamp()
    series = [inp.numeric[eid].ts for eid in ids if eid in inp.numeric and len(inp.numeric[eid])]
    seeded = [inp.seeds[eid].start[0] for eid in ids if eid in inp.seeds and len(inp.seeds[eid].start)]
    if not series or any(ts[0] <= a for ts in series) or any(t <= a for t in seeded):
        return None
    inside = [float(ts[(ts > a) & (ts < b)].min()) for ts in series if np.any((ts > a) & (ts < b))]
    return utc(min(inside)) if inside else None


def _home_so_far(inp: Inputs, start: datetime, end: datetime) -> float | None:
    """The home's own kWh in [start, end), like `_so_far` (None without solar or battery meters)."""
    if end <= start:
        return None
    slots = _home(inp, _until_now(grid(start, end, _resolution(inp.prices)), end), min_coverage=0.0)
    return None if slots is None else total(slots)


def _month(inp: Inputs) -> MonthSoFar:
    """This local month so far, with how many hours of it are unknown (before the data begins, or
    gaps): the totals count only the known slots, and say so."""
    start = local_month_start(inp.now, inp.tz)
    kwh, cost, kg, since = _so_far(inp, start, inp.now)
    slots = _house(inp, _until_now(grid(start, inp.now, _resolution(inp.prices)), inp.now), 0.0)
    unknown = sum(s.minutes for s in slots or () if s.value is None and s.start >= start) / 60
    return MonthSoFar(start, kwh, cost, kg, _home_so_far(inp, start, inp.now), unknown, since)


def _glance(inp: Inputs) -> Glance:
    today, _ = local_day(inp.now, inp.tz)
    yesterday, _ = local_day(today - timedelta(hours=12), inp.tz)
    same_time = yesterday + (inp.now - today)
    kwh, cost, kg, since = _so_far(inp, today, inp.now)
    y_kwh, y_cost, y_kg, _ = _so_far(inp, yesterday, same_time)
    home, y_home = _home_so_far(inp, today, inp.now), _home_so_far(inp, yesterday, same_time)
    return Glance(kwh, cost, kg, y_kwh, y_cost, y_kg, since, home, y_home, _month(inp))


def _attributions(inp: Inputs) -> list[Attributed]:
    mains_id = inp.meters.mains_power
    info = inp.sensors.get(mains_id) if mains_id else None
    factor = watt_factor(info.unit) if info else None
    if mains_id is None or factor is None:
        return []
    mains = inp.numeric.get(mains_id)
    if mains is None:
        return []
    watts = convert.mains_watts(mains, factor)
    steps = StepFunction.from_arrays(mains.ts, watts)
    series: dict[str, SwitchSeries] = {}
    names = [eid for eid in inp.switchables if eid in inp.switches]
    ts_parts, code_parts, on_parts = [], [], []
    for code, eid in enumerate(names):
        rows = inp.switches[eid]
        series[eid], changed = convert.switch_data(rows)
        ts_parts.append(rows.ts[changed])
        code_parts.append(np.full(int(changed.sum()), code, dtype=np.int64))
        on_parts.append(rows.on[changed] == 1.0)
    if names:
        ts, codes, on = np.concatenate(ts_parts), np.concatenate(code_parts), np.concatenate(on_parts)
        by_step = {a.entity_id: a for a in attribute_arrays(names, ts, codes, on, steps)}
    else:
        by_step = {}
    by_regression = {a.entity_id: a for a in regress_arrays(mains.ts, watts, series)}
    out: list[Attributed] = []
    for eid in sorted(set(by_step) | set(by_regression)):
        step, reg = by_step.get(eid), by_regression.get(eid)
        chosen: tuple[Attribution, str] | None = None
        if step is not None and (step.confident or reg is None or not reg.confident):
            chosen = (step, "step")
        elif reg is not None:
            chosen = (reg, "regression")
        if chosen is not None:
            out.append(Attributed(inp.names.get(eid, eid), chosen[0], chosen[1]))
    return sorted(out, key=lambda a: (not a.estimate.confident, -(a.estimate.watts or 0.0)))


def _devices(
    inp: Inputs, edges: list[datetime], hourly_edges: list[datetime]
) -> tuple[list[DeviceUsage], list[ShiftSuggestion]]:
    today, _ = local_day(inp.now, inp.tz)
    usage: list[DeviceUsage] = []
    suggestions: list[ShiftSuggestion] = []
    table = hourly_prices(inp.prices)
    for device in inp.meters.devices:
        slots = _meter_slots(inp, (device.energy,), edges)
        if slots is None:
            continue
        info = inp.sensors.get(device.energy)
        name = device.name or inp.names.get(device.energy) or (info.name if info else None) or device.energy
        cost = apply_rates(slots, inp.prices).slots if inp.prices else []
        usage.append(
            DeviceUsage(
                device.energy,
                name,
                total([s for s in slots if s.start >= today]),
                total(slots),
                total(cost) if cost else None,
            )
        )
        if inp.prices:
            hint = suggest(name, resample(slots, hourly_edges), inp.prices, inp.tz, table)
            if hint is not None:
                suggestions.append(hint)
    usage.sort(key=lambda d: -(d.kwh_period or 0.0))
    suggestions.sort(key=lambda s: -s.saving)
    return usage, suggestions


def _advice(inp: Inputs, appliance: Appliance) -> ApplianceAdvice:
    horizon = max((p.end for p in inp.prices), default=inp.now)
    if inp.carbon:
        horizon = max(horizon, max(c.end for c in inp.carbon))
    slot_start = inp.now.replace(second=0, microsecond=0)
    slot_start -= timedelta(minutes=slot_start.minute % _resolution(inp.prices))
    cheapest = cheapest_contiguous(inp.prices, appliance.duration, slot_start, horizon)
    greenest = cheapest_contiguous(inp.carbon, appliance.duration, slot_start, horizon)
    step = timedelta(minutes=_resolution(inp.prices))
    count = max(1, -(-appliance.duration // step))
    pieces = cheapest_slots(inp.prices, count, slot_start, horizon)
    now_price = mean_rate(inp.prices, slot_start, slot_start + appliance.duration)
    now_carbon = mean_rate(inp.carbon, slot_start, slot_start + appliance.duration)
    day_start, day_end = local_day(inp.now, inp.tz)
    day_avg = known_mean(inp.prices, day_start, day_end)
    kwh = appliance.kwh
    expected = None if kwh is None or cheapest is None else kwh * cheapest.mean_rate
    cost_now = None if kwh is None or now_price is None else kwh * now_price
    return ApplianceAdvice(
        appliance, cheapest, pieces, greenest, now_price, day_avg, now_carbon, expected, cost_now
    )


def _until_now(edges: list[datetime], now: datetime) -> list[datetime]:
    """The running slot ends now: what is known of it so far is shown, not hidden as unknown."""
    if len(edges) > 1 and edges[-1] > now:
        edges[-1] = now
    return edges


def analyse(inp: Inputs) -> EnergySnapshot:
    """Everything the Energy tab and the energy API show, from one set of inputs."""
    notes = list(inp.notes)
    minutes = _resolution(inp.prices)
    edges = _until_now(grid(inp.history_start, inp.now, minutes), inp.now)
    hourly_edges = grid(inp.history_start, inp.now, 60)
    house = _house(inp, edges)
    if house is None:
        notes.append("no whole-home meter: consumption, cost and carbon of the home are unknown")
        house = [Slot(a, b, None, "kWh") for a, b in itertools.pairwise(edges)]
    cost = (
        apply_rates(house, inp.prices).slots
        if inp.prices
        else [Slot(s.start, s.end, None, "") for s in house]
    )
    kg = (
        grams_to_kg(apply_rates(house, inp.carbon).slots)
        if inp.carbon
        else [Slot(s.start, s.end, None, "kgCO2") for s in house]
    )
    home = _home(inp, edges) or []
    hourly = resample(home or house, hourly_edges)
    devices, suggestions = _devices(inp, edges, hourly_edges)
    currency = inp.prices[0].unit.split("/", 1)[0] if inp.prices else None
    return EnergySnapshot(
        computed_at=inp.now,
        time_zone=inp.tz_name,
        meters=inp.meters,
        resolution_min=minutes,
        history_start=inp.history_start,
        consumption=tuple(house),
        cost=tuple(cost),
        carbon=tuple(kg),
        prices=tuple(inp.prices),
        carbon_intensity=tuple(inp.carbon),
        currency=currency,
        glance=_glance(inp),
        devices=tuple(devices),
        attributions=tuple(_attributions(inp)),
        weather=weather(hourly, inp.temperature, inp.tz) if inp.temperature else None,
        time_of_day=time_of_day(hourly, inp.tz),
        advice=tuple(_advice(inp, a) for a in inp.appliances) if inp.prices else (),
        suggestions=tuple(suggestions),
        notes=tuple(notes),
        events_read=sum(len(r.ts) for r in inp.switches.values()) + sum(len(n) for n in inp.numeric.values()),
        home_usage=tuple(home),
        correlated="home usage" if home else "grid import",
    )
