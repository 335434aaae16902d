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

BATCHES = 8
T_975 = {3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365}
CHUNK = 8192


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


def _initial_states(stream: Sequence[StreamItem]) -> dict[str, bool]:
    first: dict[str, bool] = {}
    for item in stream:
        if item.entity_id is not None and item.entity_id not in first and item.was_on is not None:
            first[item.entity_id] = item.was_on
    return first


def regress(stream: Sequence[StreamItem]) -> list[Attribution]:
    """Watts per switch from a time-ordered stream; only switches that changed at least once."""
    state = _initial_states(stream)
    names = sorted(state)
    index = {name: i + 1 for i, name in enumerate(names)}
    k = len(names) + 1
    changes = dict.fromkeys(names, 0)
    batches = [_Normal(k) for _ in range(BATCHES)]
    whole = _Normal(k)
    row = np.zeros(k)
    row[0] = 1.0
    for name, on in state.items():
        row[index[name]] = float(on)
    mains = sum(1 for item in stream if item.entity_id is None and item.watts is not None)
    per_batch = max(1, math.ceil(mains / BATCHES))
    xs: list[np.ndarray] = []
    ys: list[float] = []
    seen = 0
    unknown: set[str] = set()
    for item in stream:
        if item.entity_id is not None:
            if item.entity_id in index:
                if item.on is None:
                    unknown.add(item.entity_id)
                else:
                    unknown.discard(item.entity_id)
                    changes[item.entity_id] += item.was_on is not None and item.was_on != item.on
                    row[index[item.entity_id]] = float(item.on)
            continue
        if item.watts is None:
            continue
        seen += 1
        if not unknown:
            xs.append(row.copy())
            ys.append(item.watts)
        if len(ys) >= CHUNK or seen % per_batch == 0:
            _flush(xs, ys, batches[min(BATCHES - 1, (seen - 1) // per_batch)], whole)
    _flush(xs, ys, batches[min(BATCHES - 1, max(0, seen - 1) // per_batch)], whole)
    return _results(names, changes, whole, batches)


def _flush(xs: list[np.ndarray], ys: list[float], batch: _Normal, whole: _Normal) -> None:
    if not ys:
        return
    x, y = np.vstack(xs), np.asarray(ys)
    batch.add(x, y)
    whole.add(x, y)
    xs.clear()
    ys.clear()


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
