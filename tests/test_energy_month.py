"""This month so far on hand-computed meters: the local calendar month (Berlin, so it begins at
22:00 UTC the day before), the unknown hours before the data begins, and a missing price making the
month's cost unknown rather than smaller."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from core.energy.analysis import Inputs, analyse
from core.energy.discovery import Meters, MeterSource
from core.energy.reader import SensorInfo
from core.energy.vector import Numeric
from core.slots import Slot

BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
NOW = datetime(2025, 6, 3, 2, 0, tzinfo=UTC)  # 04:00 on the 3rd in Berlin
HISTORY = datetime(2025, 5, 31, 20, 0, tzinfo=UTC)
METERS = Meters(MeterSource.DASHBOARD, ("sensor.import",))
INFO = SensorInfo("sensor.import", "kWh", "energy", "total_increasing", None)


def inputs(first: datetime, price_gap: datetime | None = None) -> Inputs:
    """1 kWh an hour, read hourly from `first` to now; 0.5 EUR/kWh except the hour `price_gap`."""
    hours = int((NOW - first) / H)
    ts = np.array([(first + i * H).timestamp() for i in range(hours + 1)])
    values = 1000.0 + np.arange(hours + 1, dtype=float)
    n = int((NOW - HISTORY) / H)
    prices = [
        Slot(HISTORY + i * H, HISTORY + (i + 1) * H, None if HISTORY + i * H == price_gap else 0.5, "EUR/kWh")
        for i in range(n)
    ]
    return Inputs(
        now=NOW, tz=BERLIN, tz_name="Europe/Berlin", history_start=HISTORY, meters=METERS,
        sensors={"sensor.import": INFO}, numeric={"sensor.import": Numeric(ts, values)}, switches={},
        seeds={}, switchables=(), names={}, prices=prices,
    )  # fmt: skip


def test_this_month_counts_from_the_local_first_of_the_month() -> None:
    month = analyse(inputs(HISTORY)).glance.month
    assert month is not None
    assert month.start == datetime(2025, 5, 31, 22, 0, tzinfo=UTC)  # 1 June, 00:00 in Berlin
    assert month.kwh == pytest.approx(52.0)  # 22:00 UTC on 31 May to 02:00 UTC on 3 June
    assert month.cost == pytest.approx(26.0)
    assert month.carbon_kg is None  # no grid carbon data: unknown, not 0
    assert month.unknown_hours == 0 and month.since is None and month.home_kwh is None


def test_the_hours_before_the_data_begins_are_unknown_and_said_so() -> None:
    first = datetime(2025, 6, 2, 0, 0, tzinfo=UTC)
    month = analyse(inputs(first)).glance.month
    assert month is not None
    assert month.kwh == pytest.approx(26.0)  # what is known, not a month's worth
    assert month.unknown_hours == pytest.approx(26.0)  # 22:00 on 31 May to 00:00 on 2 June (UTC)
    assert month.since == first


def test_an_hour_without_a_price_makes_the_month_cost_unknown() -> None:
    month = analyse(inputs(HISTORY, price_gap=datetime(2025, 6, 1, 12, 0, tzinfo=UTC))).glance.month
    assert month is not None and month.kwh == pytest.approx(52.0) and month.cost is None
