"""Questions asked of a snapshot at request time (API, tab): consumption on any grid, and the
cheapest window from now. Pure functions; the snapshot never changes under them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from core.energy.binning import grid, local_day, resample, total
from core.energy.model import EnergySnapshot
from core.energy.windows import Window, cheapest_contiguous
from core.slots import Slot

RESOLUTIONS = {"15m": 15, "30m": 30, "1h": 60, "1d": 1440}
MAX_SLOTS = 20_000


@dataclass(frozen=True, slots=True)
class ConsumptionRow:
    start: datetime
    end: datetime
    kwh: float | None
    cost: float | None
    carbon_kg: float | None
    home_kwh: float | None = None  # the home's own use; None also when no solar/battery is metered


def zone(snapshot: EnergySnapshot) -> tzinfo:
    try:
        return ZoneInfo(snapshot.time_zone)
    except (KeyError, ValueError):  # "UTC+01:00"-like names of a zone without a tz database entry
        return UTC


def edges(start: datetime, end: datetime, resolution: str, tz: tzinfo) -> list[datetime]:
    """Slot edges; days are local calendar days (23 or 25 hours across DST)."""
    if resolution != "1d":
        return grid(start, end, RESOLUTIONS[resolution])
    first, _ = local_day(start, tz)
    out = [first]
    while out[-1] < end:
        out.append(local_day(out[-1] + timedelta(hours=36), tz)[0])
    return out


def slot_count(start: datetime, end: datetime, resolution: str) -> int:
    return int((end - start).total_seconds() // (RESOLUTIONS[resolution] * 60)) + 1


def consumption(
    snapshot: EnergySnapshot, start: datetime, end: datetime, resolution: str
) -> list[ConsumptionRow]:
    """kWh from the grid, its cost and carbon, and the home's own use per slot; anything outside
    the analysed history, or finer than it, is unknown."""
    cuts = edges(start, end, resolution, zone(snapshot))
    kwh = resample(snapshot.consumption, cuts)
    cost = resample(snapshot.cost, cuts)
    carbon = resample(snapshot.carbon, cuts)
    home: list[float | None] = [None] * len(kwh)
    if snapshot.home_usage:
        home = [h.value for h in resample(snapshot.home_usage, cuts)]
    return [
        ConsumptionRow(a, b, k.value, c.value, g.value, h)
        for (a, b), k, c, g, h in zip(itertools.pairwise(cuts), kwh, cost, carbon, home, strict=True)
    ]


def _col(rows: list[ConsumptionRow], values: list[float | None]) -> float | None:
    return total([Slot(r.start, r.end, v, "") for r, v in zip(rows, values, strict=True)])


def totals(rows: list[ConsumptionRow]) -> tuple[float | None, float | None, float | None]:
    """Grid kWh, cost and carbon over the rows (known slots; None when none is known)."""
    return (
        _col(rows, [r.kwh for r in rows]),
        _col(rows, [r.cost for r in rows]),
        _col(rows, [r.carbon_kg for r in rows]),
    )


def home_total(rows: list[ConsumptionRow]) -> float | None:
    return _col(rows, [r.home_kwh for r in rows])


def cheapest_from_now(
    snapshot: EnergySnapshot, duration: timedelta, now: datetime, within: timedelta | None = None
) -> Window | None:
    """The cheapest contiguous window starting in the running slot or later (before `within`)."""
    if not snapshot.prices:
        return None
    step = timedelta(minutes=snapshot.resolution_min)
    slot_start = now - (now - snapshot.prices[0].start) % step
    horizon = max(p.end for p in snapshot.prices)
    if within is not None:
        horizon = min(horizon, now + within)
    return cheapest_contiguous(snapshot.prices, duration, slot_start, horizon)


def glance_bounds(snapshot: EnergySnapshot) -> tuple[datetime, datetime, datetime]:
    """Today's local midnight, yesterday's, and yesterday at the snapshot's time of day: the spans
    the snapshot's glance counts (yesterday's is 23 or 25 hours on a DST day, as the analysis's)."""
    tz, now = zone(snapshot), snapshot.computed_at
    today, _ = local_day(now, tz)
    yesterday, _ = local_day(today - timedelta(hours=12), tz)
    return today, yesterday, yesterday + (now - today)


def month_gaps(snapshot: EnergySnapshot) -> list[str]:
    """Why this month's totals are null or cover less than the month (empty when fully known)."""
    m = snapshot.glance.month
    if m is None:
        return ["this month has not been analysed yet"]
    if m.kwh is None:
        return ["no grid consumption is known this month"]
    gaps = []
    if m.cost is None:
        gaps.append("no known prices" if not snapshot.prices else "some consumption has no known price")
    if m.carbon_kg is None:
        known = bool(snapshot.carbon_intensity)
        gaps.append("some consumption has no known grid carbon" if known else "no known grid carbon")
    if m.since is not None:
        gaps.append(f"the data begins {m.since.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
    if m.unknown_hours > 0:
        gaps.append(f"{m.unknown_hours:.2f} h of the month are unknown (not counted)")
    return gaps
