"""Which switch costs what: the power step each state change of a switchable entity makes on a mains
(whole-home) meter, as the median of many changes with a confidence interval.

For a change at t: `before` is the median of the mains step function over [t - 60 s, t - 2 s],
`after` the median over [t + s, t + s + 60 s] with a settle time s (smart plugs report after 1-5 s,
P1 meters up to 10 s); the step is after - before, negated for a switch-off, so both directions
estimate the same positive watts. A change with another switch change inside either window is
dropped (its step would be mixed with the other's), and so is one whose windows hold no mains data.
Medians make the estimate robust to other loads that come and go (a fridge compressor); s is swept
and the value with the largest median step kept.

No claim without evidence: an estimate is `confident` only with enough events, a 95 % interval of
the median that excludes zero, and a step of at least MIN_WATTS.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.energy.cooperate import breathe

BEFORE_S = (60.0, 2.0)  # the "before" window is [t - 60 s, t - 2 s]
AFTER_S = 60.0
SETTLE_S = (2.0, 5.0, 10.0)
MIN_EVENTS = 8
MIN_WATTS = 20.0
Z95 = 1.96


@dataclass(frozen=True, slots=True)
class SwitchEvent:
    entity_id: str
    ts: float  # epoch seconds (HA's time_fired)
    on: bool  # True: turned on, False: turned off


@dataclass(frozen=True, slots=True)
class Attribution:
    entity_id: str
    watts: float | None  # median step; None when no usable event
    low: float | None  # 95 % interval of the median
    high: float | None
    events: int  # changes used
    dropped: int  # changes skipped (overlapping changes, no mains data)
    settle_s: float
    confident: bool
    reason: str  # why (not) confident, for the user


class StepFunction:
    """A sampled power reading held until the next sample; None or NaN values are gaps."""

    def __init__(self, ts: Sequence[float], watts: Sequence[float | None]) -> None:
        self.ts = list(ts)
        self.watts = list(watts)

    @classmethod
    def from_arrays(cls, ts: np.ndarray, watts: np.ndarray) -> StepFunction:
        """From numpy arrays (NaN = gap) without a Python loop over months of readings."""
        return cls(ts.tolist(), watts.tolist())

    def median(self, a: float, b: float) -> float | None:
        """Time-weighted median over [a, b) (what sampling every second and taking the median gives);
        None when any part of the window has no data."""
        i = bisect.bisect_right(self.ts, a) - 1
        if i < 0:
            return None
        pieces: list[tuple[float, float]] = []
        t = a
        while t < b:
            value = self.watts[i]
            nxt = self.ts[i + 1] if i + 1 < len(self.ts) else math.inf
            if value is None or value != value:  # a gap (value != value: NaN)
                return None
            end = min(nxt, b)
            pieces.append((value, end - t))
            t, i = end, i + 1
            if nxt == math.inf:
                break
        pieces.sort()
        half = (b - a) / 2
        run = 0.0
        for value, span in pieces:
            run += span
            if run >= half:
                return value
        return pieces[-1][0] if pieces else None


def median_interval(values: Sequence[float]) -> tuple[float, float]:
    """Distribution-free 95 % interval of the median from order statistics."""
    ordered = sorted(values)
    n = len(ordered)
    half = Z95 * math.sqrt(n) / 2
    lo = max(0, math.floor(n / 2 - half))
    hi = min(n - 1, math.ceil(n / 2 + half) - 1)
    return ordered[lo], ordered[hi]


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A change with no other switch change within BEFORE_S[0] before it; `quiet_after` is how long
    the home stayed quiet after it (it decides which settle times it can serve)."""

    event: SwitchEvent
    quiet_after: float


def _steps(mains: StepFunction, candidates: Sequence[_Candidate], settle: float) -> list[float]:
    steps: list[float] = []
    for c in candidates:
        breathe()
        ev = c.event
        if c.quiet_after <= settle + AFTER_S:  # another switch changed inside the "after" window
            continue
        before = mains.median(ev.ts - BEFORE_S[0], ev.ts - BEFORE_S[1])
        after = mains.median(ev.ts + settle, ev.ts + settle + AFTER_S)
        if before is None or after is None:
            continue
        steps.append(after - before if ev.on else before - after)
    return steps


def attribute(
    entity_id: str, total: int, candidates: Sequence[_Candidate], mains: StepFunction
) -> Attribution:
    """The power step of `entity_id` on `mains` from its `total` changes, of which `candidates` were
    quiet before; the settle time with the largest median step wins."""
    best: tuple[float, list[float], float] | None = None
    for settle in SETTLE_S:
        steps = _steps(mains, candidates, settle)
        size = abs(statistics.median(steps)) if steps else -1.0
        if best is None or size > best[0]:
            best = (size, steps, settle)
    assert best is not None
    _, steps, settle = best
    dropped = total - len(steps)
    if not steps:
        return Attribution(entity_id, None, None, None, 0, dropped, settle, False, "no usable changes")
    watts = statistics.median(steps)
    low, high = median_interval(steps)
    confident, reason = _verdict(len(steps), watts, low)
    return Attribution(entity_id, watts, low, high, len(steps), dropped, settle, confident, reason)


def _verdict(n: int, watts: float, low: float) -> tuple[bool, str]:
    if n < MIN_EVENTS:
        return False, f"only {n} usable changes (need {MIN_EVENTS})"
    if watts < MIN_WATTS:
        return False, f"step below {MIN_WATTS:g} W"
    if low <= 0:
        return False, "interval includes zero"
    return True, f"{n} changes"


def attribute_all(events: Sequence[SwitchEvent], mains: StepFunction) -> list[Attribution]:
    """One attribution per entity, largest confident estimate first."""
    names = sorted({e.entity_id for e in events})
    code = {name: i for i, name in enumerate(names)}
    ts = np.array([e.ts for e in events], dtype=float)
    codes = np.array([code[e.entity_id] for e in events], dtype=np.int64)
    on = np.array([e.on for e in events], dtype=bool)
    return attribute_arrays(names, ts, codes, on, mains)


def attribute_arrays(
    names: Sequence[str], ts: np.ndarray, codes: np.ndarray, on: np.ndarray, mains: StepFunction
) -> list[Attribution]:
    """attribute_all on arrays (change times, entity index into `names`, turned on?). Changes with
    another change too close (the usual case in a busy home) are set aside in one vectorised pass,
    so only the quiet ones cost a median."""
    order = np.argsort(ts, kind="stable")
    ts, codes, on = ts[order], codes[order], on[order]
    gap_before = np.diff(ts, prepend=-np.inf)
    gap_after = np.diff(ts, append=np.inf)
    quiet = np.flatnonzero((gap_before > BEFORE_S[0]) & (gap_after > min(SETTLE_S) + AFTER_S))
    totals = np.bincount(codes, minlength=len(names)) if len(codes) else np.zeros(len(names), dtype=np.int64)
    candidates: list[list[_Candidate]] = [[] for _ in names]
    for i in quiet:
        c = int(codes[i])
        candidates[c].append(
            _Candidate(SwitchEvent(names[c], float(ts[i]), bool(on[i])), float(gap_after[i]))
        )
    results = [
        attribute(names[c], int(totals[c]), candidates[c], mains) for c in range(len(names)) if totals[c]
    ]
    return sorted(results, key=lambda a: (not a.confident, -(a.watts or 0.0)))
