"""The in-memory series cache and slot building: a series that turns quarter-hourly replaces the
hourly slots it overlaps (never both), and slot length comes from the data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from core.datasources.cache import SeriesCache
from core.datasources.model import Fetched
from core.datasources.timeparse import slots_from_starts
from core.slots import Slot

T0 = datetime(2025, 9, 30, 22, tzinfo=UTC)
H, Q = timedelta(hours=1), timedelta(minutes=15)


def hourly(n: int, start: datetime = T0) -> tuple[Slot, ...]:
    return tuple(Slot(start + i * H, start + (i + 1) * H, 0.1 + i / 100, "EUR/kWh") for i in range(n))


def quarters(n: int, start: datetime) -> tuple[Slot, ...]:
    return tuple(Slot(start + i * Q, start + (i + 1) * Q, 0.2 + i / 1000, "EUR/kWh") for i in range(n))


def test_quarter_hours_replace_the_hours_they_overlap() -> None:
    cache = SeriesCache()
    cache.merge(Fetched(series={"price": hourly(48)}))
    cache.merge(Fetched(series={"price": quarters(96, T0 + 24 * H)}))  # the second day re-published in 15 min
    slots = cache.series["price"]
    assert len(slots) == 24 + 96
    assert all(a.end <= b.start for a, b in pairwise(slots))  # no overlap, in order
    assert {s.minutes for s in slots[:24]} == {60} and {s.minutes for s in slots[24:]} == {15}
    assert cache.at("price", T0 + 24 * H + 20 * timedelta(minutes=1)) == slots[25]
    assert cache.window("price", T0 + 23 * H, T0 + 24 * H + Q) == [slots[23], slots[24]]


def test_labels_follow_their_slots_and_trim_drops_the_past() -> None:
    cache = SeriesCache()
    cache.merge(Fetched(series={"carbon": hourly(4)}, labels={"carbon": {T0: "low", T0 + H: "high"}}))
    cache.merge(Fetched(series={"carbon": hourly(1, T0 + H)}, labels={"carbon": {T0 + H: "moderate"}}))
    assert cache.labels["carbon"] == {T0: "low", T0 + H: "moderate"}
    cache.trim(T0 + H)
    assert [s.start for s in cache.series["carbon"]] == [T0 + H, T0 + 2 * H, T0 + 3 * H]
    assert cache.labels["carbon"] == {T0 + H: "moderate"}


def test_slot_length_from_the_next_start_and_gaps_not_bridged() -> None:
    starts = [T0, T0 + H, T0 + 2 * H, T0 + 2 * H + Q, T0 + 2 * H + 2 * Q, T0 + 6 * H]
    slots = slots_from_starts(starts, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "EUR/kWh", fallback=Q)
    assert [s.minutes for s in slots] == [60, 60, 15, 15, 15, 15]  # the gap before the last is a gap
    assert slots[-2].end == T0 + 2 * H + 3 * Q and slots[-1].start == T0 + 6 * H
