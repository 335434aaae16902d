"""Cheapest and greenest windows over known future rates (prices or grid carbon intensity).

One grid: the rate's own slots, expanded by repetition onto the finest slot length present (an
hourly price holds for its four quarters; prices are never interpolated). A window that would
cross an unknown slot or a hole in the data is not a candidate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.energy.cooperate import breathe
from core.slots import Slot


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime
    mean_rate: float  # time-weighted mean of the rate over the window
    unit: str  # the rate's unit, e.g. "EUR/kWh" or "gCO2/kWh"
    blocks: tuple[tuple[datetime, datetime], ...]  # one block for contiguous windows


def regrid(rates: Sequence[Slot]) -> list[Slot]:
    """Rates on one grid of the finest slot length present, coarser slots repeated."""
    if not rates:
        return []
    step = min(r.end - r.start for r in rates)
    out: list[Slot] = []
    for r in rates:
        breathe()
        t = r.start
        while t < r.end:
            out.append(Slot(t, min(t + step, r.end), r.value, r.unit))
            t += step
    return out


def _contiguous_runs(slots: Sequence[Slot]) -> list[list[Slot]]:
    """Split into runs of known slots without holes."""
    runs: list[list[Slot]] = []
    current: list[Slot] = []
    for s in slots:
        if s.value is None or (current and current[-1].end != s.start):
            if current:
                runs.append(current)
            current = [] if s.value is None else [s]
            continue
        current.append(s)
    if current:
        runs.append(current)
    return runs


def _bounded(rates: Sequence[Slot], earliest: datetime, deadline: datetime) -> list[Slot]:
    return [s for s in regrid(rates) if s.start >= earliest and s.end <= deadline]


def cheapest_contiguous(
    rates: Sequence[Slot],
    duration: timedelta,
    earliest: datetime,
    deadline: datetime,
    *,
    latest: bool = False,
) -> Window | None:
    """The window of `duration` (rounded up to whole slots) with the lowest mean rate that starts at or
    after `earliest` and ends by `deadline`; ties go to the earliest start (the latest with `latest`)."""
    best: tuple[float, int, list[Slot]] | None = None
    for run in _contiguous_runs(_bounded(rates, earliest, deadline)):
        step = (run[0].end - run[0].start).total_seconds()
        k = math.ceil(duration.total_seconds() / step - 1e-9)
        if k <= 0 or len(run) < k:
            continue
        values = [float(s.value or 0.0) for s in run]  # runs hold known slots only
        window = sum(values[:k])
        for i in range(len(run) - k + 1):
            breathe()
            if i:
                window += values[i + k - 1] - values[i - 1]
            key = round(window, 9)
            if best is None or key < best[0] or (latest and key == best[0]):
                best = (key, i, run[i : i + k])
    if best is None:
        return None
    chosen = best[2]
    mean = sum(s.value for s in chosen) / len(chosen)  # type: ignore[misc]
    return Window(chosen[0].start, chosen[-1].end, mean, chosen[0].unit, ((chosen[0].start, chosen[-1].end),))


def cheapest_slots(
    rates: Sequence[Slot], count: int, earliest: datetime, deadline: datetime
) -> Window | None:
    """The `count` cheapest known slots in [earliest, deadline), in time order, neighbours merged into
    blocks (a water heater or an EV that may charge in pieces)."""
    known = [s for s in _bounded(rates, earliest, deadline) if s.value is not None]
    if count <= 0 or len(known) < count:
        return None
    chosen = sorted(sorted(known, key=lambda s: (s.value, s.start))[:count], key=lambda s: s.start)
    blocks: list[tuple[datetime, datetime]] = []
    for s in chosen:
        if blocks and blocks[-1][1] == s.start:
            blocks[-1] = (blocks[-1][0], s.end)
        else:
            blocks.append((s.start, s.end))
    mean = sum(s.value for s in chosen) / count  # type: ignore[misc]
    return Window(chosen[0].start, chosen[-1].end, mean, chosen[0].unit, tuple(blocks))


def mean_rate(rates: Sequence[Slot], start: datetime, end: datetime) -> float | None:
    """Time-weighted mean of the known rates in [start, end); None if any part is unknown."""
    total = seconds = 0.0
    for s in rates:
        a, b = max(s.start, start), min(s.end, end)
        if a >= b:
            continue
        if s.value is None:
            return None
        span = (b - a).total_seconds()
        total += s.value * span
        seconds += span
    if seconds < (end - start).total_seconds() - 1e-6:
        return None
    return total / seconds


def known_mean(rates: Sequence[Slot], start: datetime, end: datetime) -> float | None:
    """Time-weighted mean of whatever rates are known in [start, end) (a day's average)."""
    total = seconds = 0.0
    for s in rates:
        a, b = max(s.start, start), min(s.end, end)
        if a < b and s.value is not None:
            span = (b - a).total_seconds()
            total += s.value * span
            seconds += span
    return total / seconds if seconds else None
