"""Shifting suggestions from the home's own history: when an appliance usually runs, and what the same
runs would have cost had they started at another hour of the day.

A run is a stretch of consecutive hours in which the appliance used at least RUN_KWH. Each run keeps
its own hour-by-hour profile when moved, and a start hour counts only where the run would have
fitted in the same local day with known prices for every hour.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from core.energy.cooperate import breathe
from core.slots import Slot

RUN_KWH = 0.05
MIN_RUNS = 3
MIN_SAVING = 0.01
"""Below this (in currency, or 1 % of the cost) a "saving" is rounding, not advice (a flat tariff)."""


@dataclass(frozen=True, slots=True)
class Run:
    start: datetime
    kwh: tuple[float, ...]  # per hour from `start`


@dataclass(frozen=True, slots=True)
class ShiftSuggestion:
    name: str
    runs: int
    usual_hour: int  # local hour the appliance most often started at
    usual_count: int  # runs that started then
    best_hour: int  # local start hour that would have cost least over the same runs
    actual_cost: float
    shifted_cost: float
    currency: str

    @property
    def saving(self) -> float:
        return self.actual_cost - self.shifted_cost

    @property
    def message(self) -> str:
        habit = (
            f"{self.name} usually starts at {self.usual_hour:02d}:00 ({self.usual_count} of {self.runs} runs)"
        )
        return (
            f"{habit}; starting at {self.best_hour:02d}:00 would have saved {self.saving:.2f} {self.currency}"
        )


def find_runs(hourly: Sequence[Slot]) -> list[Run]:
    """Consecutive known hours with at least RUN_KWH each."""
    runs: list[Run] = []
    current: list[Slot] = []
    for s in [*hourly, None]:
        if (
            s is not None
            and s.value is not None
            and s.value >= RUN_KWH
            and (not current or current[-1].end == s.start)
        ):
            current.append(s)
            continue
        if current:
            runs.append(Run(current[0].start, tuple(c.value for c in current)))  # type: ignore[misc]
        current = [s] if s is not None and s.value is not None and s.value >= RUN_KWH else []
    return runs


def hourly_prices(prices: Sequence[Slot]) -> dict[int, float | None]:
    """Mean price of each whole UTC hour (epoch seconds of its start), None if any part is unknown."""
    sums: dict[int, list[float]] = {}
    unknown: set[int] = set()
    for p in prices:
        breathe()
        hour = int(p.start.timestamp()) // 3600 * 3600
        if p.value is None:
            unknown.add(hour)
            continue
        acc = sums.setdefault(hour, [0.0, 0.0])
        span = (p.end - p.start).total_seconds()
        acc[0] += p.value * span
        acc[1] += span
    return {h: None if h in unknown or acc[1] < 3600 - 1e-6 else acc[0] / acc[1] for h, acc in sums.items()}


def _cost(run: Run, start: datetime, prices: Mapping[int, float | None]) -> float | None:
    total = 0.0
    first = int(start.timestamp())
    for i, kwh in enumerate(run.kwh):
        price = prices.get(first + 3600 * i)
        if price is None:
            return None
        total += kwh * price
    return total


def _moved(run: Run, hour: int, tz: tzinfo) -> datetime | None:
    """The same local day at `hour`, if the run still ends within that day."""
    local = run.start.astimezone(tz)
    moved = local.replace(hour=hour)
    end = moved + timedelta(hours=len(run.kwh))
    if end.astimezone(tz).date() != local.date() and end.astimezone(tz).hour != 0:
        return None
    return moved


def suggest(
    name: str,
    hourly: Sequence[Slot],
    prices: Sequence[Slot],
    tz: tzinfo,
    table: Mapping[int, float | None] | None = None,
) -> ShiftSuggestion | None:
    """The best habitual start hour for `name`'s runs, or None without enough runs, prices or saving.
    `table`: hourly_prices(prices), when the caller already has it (one table for every device)."""
    runs = find_runs(hourly)
    table = hourly_prices(prices) if table is None else table
    priced = [(r, c) for r in runs if (c := _cost(r, r.start, table)) is not None]
    if len(priced) < MIN_RUNS:
        return None
    usual_hour, usual_count = Counter(r.start.astimezone(tz).hour for r, _ in priced).most_common(1)[0]
    actual = sum(c for _, c in priced)
    best: tuple[float, int] | None = None
    for hour in range(24):
        total = 0.0
        for run, _ in priced:
            breathe()
            moved = _moved(run, hour, tz)
            cost = None if moved is None else _cost(run, moved, table)
            if cost is None:
                break
            total += cost
        else:
            if best is None or total < best[0] - 1e-12:
                best = (total, hour)
    if best is None or actual - best[0] < max(MIN_SAVING, 0.01 * actual):
        return None
    currency = prices[0].unit.split("/", 1)[0] if prices else ""
    return ShiftSuggestion(name, len(priced), usual_hour, usual_count, best[1], actual, best[0], currency)
