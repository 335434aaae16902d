"""Questions the API asks of a snapshot: consumption on any grid (local days across DST) and the
cheapest window from now."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.energy.discovery import Meters, MeterSource
from core.energy.model import EnergySnapshot, Glance
from core.energy.views import cheapest_from_now, consumption, edges, totals
from core.slots import Slot

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2025, 10, 25, 0, 0, tzinfo=BERLIN).astimezone(UTC)  # DST ends on the 26th


def hourly(values: list[float | None], unit: str, start: datetime = START) -> tuple[Slot, ...]:
    h = timedelta(hours=1)
    return tuple(Slot(start + i * h, start + (i + 1) * h, v, unit) for i, v in enumerate(values))


def snapshot(kwh: list[float | None], prices: list[float | None]) -> EnergySnapshot:
    cons = hourly(kwh, "kWh")
    cost = tuple(
        Slot(c.start, c.end, None if c.value is None or p is None else c.value * p, "EUR")
        for c, p in zip(cons, prices, strict=False)
    )
    return EnergySnapshot(
        computed_at=START + timedelta(hours=len(kwh)), time_zone="Europe/Berlin",
        meters=Meters(MeterSource.DASHBOARD, ("sensor.import",)), resolution_min=60, history_start=START,
        consumption=cons, cost=cost, carbon=tuple(Slot(c.start, c.end, None, "kgCO2") for c in cons),
        prices=hourly(prices, "EUR/kWh"), carbon_intensity=(), currency="EUR",
        glance=Glance(None, None, None, None, None, None), devices=(), attributions=(), weather=None,
        time_of_day=None, advice=(), suggestions=(),
    )  # fmt: skip


def test_local_days_across_the_end_of_dst_have_24_and_25_hours() -> None:
    cuts = edges(START, START + timedelta(hours=49), "1d", BERLIN)
    assert [(b - a) / timedelta(hours=1) for a, b in itertools.pairwise(cuts)] == [24, 25]
    snap = snapshot([1.0] * 49, [0.2] * 49)
    rows = consumption(snap, START, START + timedelta(hours=49), "1d")
    assert [r.kwh for r in rows] == [24.0, 25.0]
    assert rows[1].cost == pytest.approx(5.0)


def test_unknown_hours_make_their_day_unknown_and_finer_grids_are_not_invented() -> None:
    snap = snapshot([1.0, None, 1.0, 1.0], [0.2] * 4)
    rows = consumption(snap, START, START + timedelta(hours=4), "1h")
    assert [r.kwh for r in rows] == [1.0, None, 1.0, 1.0]
    assert totals(rows)[0] == pytest.approx(3.0)  # what is known, with the unknown hour counted apart
    quarters = consumption(snap, START, START + timedelta(hours=1), "15m")
    assert [r.kwh for r in quarters] == [None] * 4  # hourly data cannot say which quarter used what


def test_cheapest_window_from_now_respects_the_deadline() -> None:
    snap = snapshot([1.0] * 6, [0.30, 0.30, 0.10, 0.10, 0.05, 0.05])
    now = START + timedelta(minutes=30)
    best = cheapest_from_now(snap, timedelta(hours=2), now)
    assert best is not None and best.start == START + timedelta(hours=4)
    sooner = cheapest_from_now(snap, timedelta(hours=2), now, within=timedelta(hours=4))
    assert sooner is not None and sooner.start == START + timedelta(hours=2)
