"""Consumption intervals spread onto a grid of time slots, and slots resampled to coarser grids.

An interval's energy is split across the slots it overlaps in proportion to time (HA's meters
report totals, so within one interval the use is taken as even). A slot is known only when meter
intervals cover at least `MIN_COVERAGE` of it and none of them is of unknown size: gaps stay
unknown (None), never zero.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo

from core.energy.cooperate import breathe
from core.energy.meter import Interval
from core.slots import Slot

MIN_COVERAGE = 0.9
"""A slot whose meter data covers less than this share of it is unknown (a brief outage is tolerated)."""


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def grid(start: datetime, end: datetime, minutes: int) -> list[datetime]:
    """Slot edges from `start` (rounded down to the slot length in UTC) up to and including `end`."""
    step = minutes * 60
    first = int(start.timestamp()) // step * step
    edges = [utc(float(t)) for t in range(first, int(end.timestamp()) + step, step)]
    while len(edges) > 1 and edges[-2] >= end:
        edges.pop()
    return edges


def local_day(day: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """The UTC bounds of the local calendar day containing `day` (23 or 25 hours on DST days)."""
    today = day.astimezone(tz).date()
    tomorrow = today + timedelta(days=1)
    start = datetime(today.year, today.month, today.day, tzinfo=tz)
    end = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def local_month_start(day: datetime, tz: tzinfo) -> datetime:
    """The UTC instant the local calendar month containing `day` began."""
    local = day.astimezone(tz).date()
    return datetime(local.year, local.month, 1, tzinfo=tz).astimezone(UTC)


def bin_intervals(
    intervals: Sequence[Interval], edges: Sequence[datetime], min_coverage: float = MIN_COVERAGE
) -> list[Slot]:
    """kWh per slot between consecutive `edges`; intervals must be sorted by start. With a
    `min_coverage` of 0, a partly covered slot holds the energy of its covered part ("so far")."""
    bounds = [e.timestamp() for e in edges]
    n = len(bounds) - 1
    kwh = [0.0] * n
    covered = [0.0] * n
    poisoned = [False] * n
    first = 0
    for iv in intervals:
        breathe()
        while first < n and bounds[first + 1] <= iv.start:
            first += 1
        length = iv.end - iv.start
        i = first
        while i < n and bounds[i] < iv.end:
            overlap = min(iv.end, bounds[i + 1]) - max(iv.start, bounds[i])
            if overlap > 0:
                if iv.kwh is None:
                    poisoned[i] = True
                else:
                    kwh[i] += iv.kwh * overlap / length
                    covered[i] += overlap
            i += 1
    out = []
    for i in range(n):
        span = bounds[i + 1] - bounds[i]
        known = not poisoned[i] and covered[i] > 0 and covered[i] >= min_coverage * span
        out.append(Slot(edges[i], edges[i + 1], kwh[i] if known else None, "kWh"))
    return out


def resample(slots: Sequence[Slot], edges: Sequence[datetime]) -> list[Slot]:
    """Sum fine slots into the coarser slots between `edges`; a coarse slot with any unknown or
    missing part is unknown."""
    out: list[Slot] = []
    j = 0
    unit = slots[0].unit if slots else ""
    for a, b in itertools.pairwise(edges):
        breathe()
        while j < len(slots) and slots[j].end <= a:
            j += 1
        total: float | None = 0.0
        covered = 0.0
        k = j
        while k < len(slots) and slots[k].start < b:
            s = slots[k]
            if s.value is None or s.start < a or s.end > b:
                total = None
            elif total is not None:
                total += s.value
            covered += (min(s.end, b) - max(s.start, a)).total_seconds()
            k += 1
        if covered < (b - a).total_seconds():
            total = None
        out.append(Slot(a, b, total, unit))
    return out


def total(slots: Sequence[Slot]) -> float | None:
    """Sum of known slots; None when there are none (a partly unknown day still shows what is known)."""
    known = [s.value for s in slots if s.value is not None]
    return sum(known) if known else None
