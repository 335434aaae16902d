"""The meter and binning algorithms on numpy arrays, for months of readings. meter.py and
binning.py hold the readable one-reading-at-a-time versions with the same semantics; the tests check
that both give the same slots on random series (resets, dips, swaps, gaps)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from core.energy.binning import MIN_COVERAGE
from core.energy.meter import RESET_RATIO
from core.slots import Slot


@dataclass(frozen=True)
class Numeric:
    """One numeric entity's rows: epoch seconds, value (NaN = not a number), last_reset (NaN = none)."""

    ts: np.ndarray
    value: np.ndarray
    last_reset: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ts)


@dataclass(frozen=True)
class Intervals:
    """Non-overlapping intervals in time order; kwh NaN = used something, unknown how much."""

    start: np.ndarray
    end: np.ndarray
    kwh: np.ndarray
    resets: int = 0
    dips: int = 0
    suspicious: int = 0


EMPTY = Intervals(np.empty(0), np.empty(0), np.empty(0))


def energy_intervals(
    data: Numeric, state_class: str, factor: float = 1.0, max_watts: float | None = None
) -> Intervals:
    """meter.energy_intervals on arrays: resets, dips, last_reset cycles and implausible jumps."""
    increasing = state_class == "total_increasing"
    values = data.value * factor
    ok = np.isfinite(values) & (values >= 0) if increasing else np.isfinite(values)
    t, v = data.ts[ok], values[ok]
    if len(v) < 2:
        return EMPTY
    prev, cur = v[:-1], v[1:]
    if increasing:
        reset = cur < RESET_RATIO * prev
    elif data.last_reset is not None:
        lr = data.last_reset[ok]
        reset = np.isfinite(lr[1:]) & ~(lr[1:] == lr[:-1])
    else:
        reset = np.zeros(len(cur), dtype=bool)
    delta = np.where(reset, cur, cur - prev)
    dips = int(np.count_nonzero(~reset & (delta < 0))) if increasing else 0
    dt = t[1:] - t[:-1]
    bad = (
        delta > max_watts * np.maximum(dt, 1.0) / 3.6e6 if max_watts is not None else np.zeros(len(dt), bool)
    )
    kwh = np.where(bad, np.nan, delta)
    kwh, keep = _fold_instants(kwh, dt)
    return Intervals(t[:-1][keep], t[1:][keep], kwh[keep], int(reset.sum()), dips, int(bad.sum()))


def _fold_instants(kwh: np.ndarray, dt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two readings at one instant: their change joins the interval before (there is no time to
    spread it over)."""
    keep = dt > 0
    if keep.all():
        return kwh, keep
    kwh = kwh.copy()
    index = np.where(keep, np.arange(len(dt)), -1)
    last_kept = np.maximum.accumulate(index)
    for i in np.flatnonzero(~keep):
        j = last_kept[i]
        if j >= 0 and np.isfinite(kwh[i]):
            kwh[j] += kwh[i]
    return kwh, keep


def power_intervals(data: Numeric, until: float, factor: float = 1.0) -> Intervals:
    """meter.power_intervals on arrays: each reading holds until the next; NaN readings are gaps."""
    if len(data) == 0:
        return EMPTY
    t = data.ts
    ends = np.append(t[1:], max(until, t[-1]))
    watts = data.value * factor
    keep = np.isfinite(watts) & (ends > t)
    return Intervals(t[keep], ends[keep], watts[keep] * (ends[keep] - t[keep]) / 3.6e6)


def _cumulative(iv: Intervals, at: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ weightᵢ × (the share of interval i before each time in `at`), weights spread evenly; the
    intervals are sorted and do not overlap, so all those before the last one starting by T count whole."""
    before = np.concatenate(([0.0], np.cumsum(weights)))
    j = np.searchsorted(iv.start, at, side="right") - 1
    inside = j >= 0
    jj = np.where(inside, j, 0)
    length = iv.end[jj] - iv.start[jj]
    share = np.clip((at - iv.start[jj]) / np.where(length > 0, length, 1.0), 0.0, 1.0)
    return np.where(inside, before[jj] + weights[jj] * share, 0.0)


def bin_intervals(iv: Intervals, edges: Sequence[datetime], min_coverage: float = MIN_COVERAGE) -> list[Slot]:
    """binning.bin_intervals on arrays: kWh per slot, unknown when less than `min_coverage` of the
    slot is covered or an interval of unknown size touches it."""
    bounds = np.array([e.timestamp() for e in edges])
    if len(iv.start) == 0:
        return [Slot(a, b, None, "kWh") for a, b in itertools.pairwise(edges)]
    known = np.isfinite(iv.kwh)
    length = iv.end - iv.start
    energy = np.diff(_cumulative(iv, bounds, np.where(known, iv.kwh, 0.0)))
    covered = np.diff(_cumulative(iv, bounds, np.where(known, length, 0.0)))
    poisoned = np.diff(_cumulative(iv, bounds, np.where(known, 0.0, length))) > 1e-9
    span = np.diff(bounds)
    ok = ~poisoned & (covered > 1e-9) & (covered >= min_coverage * span - 1e-6)
    return [
        Slot(edges[i], edges[i + 1], float(energy[i]) if ok[i] else None, "kWh") for i in range(len(span))
    ]
