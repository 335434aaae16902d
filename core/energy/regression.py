"""Which switch costs what when changes overlap: mains power regressed on every switch's on/off state.

The step method (attribution.py) needs quiet minutes around a change; in a busy home (or the demo
home, which compresses hours of activity into minutes) nearly every change has another one beside it.
Then each mains reading is a sample of  P = base + Σ wᵢ·onᵢ  and least squares over many readings
separates the loads, other loads being noise. The confidence interval comes from batch means: the
history is cut into BATCHES consecutive blocks, each block gets its own estimate, and the interval is
the overall estimate ± t · sd(blocks)/√blocks, which stays honest when the noise drifts (a slowly
wandering base load makes readings next to each other alike, and a plain OLS error would be far too
small).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from core.energy.attribution import MIN_EVENTS, MIN_WATTS, Attribution
from core.energy.cooperate import breathe

BATCHES = 8
T_975 = {3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365}


@dataclass(frozen=True, slots=True)
class StreamItem:
    """One event of the merged stream, in time order: a mains reading (watts) or a switch change."""

    ts: float
    entity_id: str | None  # None: a mains reading
    watts: float | None = None  # mains reading (None: unavailable)
    on: bool | None = None  # switch: new state (None: unknown/unavailable)
    was_on: bool | None = None  # switch: old state, which gives its state before its first change


class _Normal:
    """X'X, X'y and y'y accumulated chunk by chunk, per batch, without keeping the readings."""

    def __init__(self, k: int) -> None:
        self.xtx = np.zeros((k, k))
        self.xty = np.zeros(k)
        self.rows = 0

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        # einsum, not `x.T @ x`: a threaded BLAS on a busy 2-core machine spins for ~50 ms per small
        # product, while einsum's own loop takes well under 1 ms.
        self.xtx += np.einsum("ij,ik->jk", x, x)
        self.xty += np.einsum("ij,i->j", x, y)
        self.rows += len(y)

    def solve(self) -> np.ndarray | None:
        if self.rows <= self.xtx.shape[0]:
            return None
        solution, *_ = np.linalg.lstsq(self.xtx, self.xty, rcond=None)
        return np.asarray(solution)


@dataclass(frozen=True)
class SwitchSeries:
    """One switch's rows: times, the new state (1 on, 0 off, NaN unknown), the state before the first
    row (its old_state; NaN if unknown) and how many real on/off changes there were."""

    ts: np.ndarray
    on: np.ndarray
    initial: float
    changes: int


def states_at(series: SwitchSeries, times: np.ndarray) -> np.ndarray:
    """The switch's state at each of `times` (a row at exactly t counts as already happened).
    For sorted `times` (mains readings are), each row's state is repeated over the readings it
    covers: a search per row inside the readings' span instead of one per reading."""
    values = np.concatenate(([series.initial], series.on))
    if len(times) == 0 or np.any(times[1:] < times[:-1]):
        return values[np.searchsorted(series.ts, times, side="right")]
    # Rows up to the first reading decide its state; the ones after the last reading decide none.
    first, last = np.searchsorted(series.ts, [times[0], times[-1]], side="right")
    cuts = np.searchsorted(times, series.ts[first:last], side="left")  # the first reading each covers
    return np.repeat(values[first : last + 1], np.diff(cuts, prepend=0, append=len(times)))


def regress_arrays(
    mains_ts: np.ndarray, mains_w: np.ndarray, switches: dict[str, SwitchSeries]
) -> list[Attribution]:
    """Watts per switch: mains readings (NaN = unknown) regressed on every switch's state at that
    moment. Vectorised: each switch's state at every reading is one searchsorted."""
    names = sorted(name for name, s in switches.items() if s.changes > 0)
    k = len(names) + 1
    whole = _Normal(k)
    batches: list[_Normal] = []
    # Batch by batch (consecutive stretches of readings): small matrices, and the loop gets the GIL
    # back between them.
    for part in np.array_split(np.arange(len(mains_ts)), BATCHES):
        times = mains_ts[part]
        x = np.ones((len(part), k))
        for j, name in enumerate(names, start=1):
            x[:, j] = states_at(switches[name], times)
        breathe()
        valid = np.isfinite(mains_w[part]) & np.isfinite(x).all(axis=1)
        batch = _Normal(k)
        batch.add(x[valid], mains_w[part][valid])
        whole.xtx += batch.xtx
        whole.xty += batch.xty
        whole.rows += batch.rows
        batches.append(batch)
        breathe()
    return _results(names, {n: switches[n].changes for n in names}, whole, batches)


def series_from_states(
    ts: Sequence[float], new: Sequence[bool | None], old: Sequence[bool | None]
) -> SwitchSeries:
    """A SwitchSeries from one switch's rows (time order): new and old on/off states."""
    on = np.array([np.nan if v is None else float(v) for v in new])
    initial = np.nan if not old or old[0] is None else float(old[0])
    changes = sum(1 for a, b in zip(old, new, strict=True) if a is not None and b is not None and a != b)
    return SwitchSeries(np.asarray(ts, dtype=float), on, initial, changes)


def regress(stream: Sequence[StreamItem]) -> list[Attribution]:
    """Watts per switch from a time-ordered stream of mains readings and switch changes."""
    mains = [item for item in stream if item.entity_id is None]
    mains_ts = np.array([m.ts for m in mains], dtype=float)
    mains_w = np.array([np.nan if m.watts is None else m.watts for m in mains], dtype=float)
    rows: dict[str, list[StreamItem]] = {}
    for item in stream:
        if item.entity_id is not None:
            rows.setdefault(item.entity_id, []).append(item)
    switches = {
        eid: series_from_states([i.ts for i in items], [i.on for i in items], [i.was_on for i in items])
        for eid, items in rows.items()
    }
    return regress_arrays(mains_ts, mains_w, switches)


def _results(
    names: list[str], changes: dict[str, int], whole: _Normal, batches: Iterable[_Normal]
) -> list[Attribution]:
    overall = whole.solve()
    per_batch = [b for b in (batch.solve() for batch in batches) if b is not None]
    out: list[Attribution] = []
    for i, name in enumerate(names, start=1):
        n = changes[name]
        if overall is None or n == 0:
            out.append(Attribution(name, None, None, None, n, 0, 0.0, False, "not enough mains data"))
            continue
        watts = float(overall[i])
        estimates = [float(b[i]) for b in per_batch]
        low = high = None
        if len(estimates) >= 4:
            t = T_975.get(len(estimates) - 1, 2.365)
            half = t * float(np.std(estimates, ddof=1)) / math.sqrt(len(estimates))
            low, high = watts - half, watts + half
        confident, reason = _verdict(n, watts, low)
        out.append(Attribution(name, watts, low, high, n, 0, 0.0, confident, reason))
    return sorted(out, key=lambda a: (not a.confident, -(a.watts or 0.0)))


def _verdict(n: int, watts: float, low: float | None) -> tuple[bool, str]:
    if n < MIN_EVENTS:
        return False, f"only {n} changes (need {MIN_EVENTS})"
    if low is None:
        return False, "too little history to judge the spread"
    if watts < MIN_WATTS:
        return False, f"step below {MIN_WATTS:g} W"
    if low <= 0:
        return False, "interval includes zero"
    return True, f"{n} changes, regression"
