"""The Energy tab on a real, simulator-backed runtime: it shows the energy engine's snapshot of the
demo home, and says honestly when there is nothing to show."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from app.widgets.state_view import StateView
from core.energy import SPEC as ENERGY
from core.energy.discovery import Meters, MeterSource
from tests.gui_conftest import wait_until

pytestmark = pytest.mark.gui


async def test_energy_tab_shows_the_demo_home_and_an_honest_empty_state(gui_app: Any) -> None:
    async with gui_app() as session:
        engine = session.runtime.engine(ENERGY)
        assert engine is not None
        tab = session.window.show_tab("energy")
        await wait_until(lambda: tab.snapshot is not None, 30)
        snap = tab.snapshot
        assert "energy dashboard" in tab.status.text()
        assert tab.view.state == StateView.CONTENT
        assert tab.tiles["kwh"].value.text().endswith("kWh")
        assert "yesterday by now" in tab.tiles["kwh"].caption.text()
        # The demo home has a roof: its own use (grid + solar - export) shows beside the grid's.
        assert not tab.tiles["home"].isHidden() and snap.meters.solar
        assert tab.tiles["home"].value.text().endswith("kWh")
        assert "grid + solar" in tab.tiles["home"].caption.text()
        # This month: the demo home's data begins when the app started, and the tile says since when.
        assert snap.glance.month is not None
        assert tab.tiles["month"].value.text().endswith("kWh")
        assert "cost" in tab.tiles["month"].caption.text()
        if snap.glance.month.since is not None:
            assert "data since" in tab.tiles["month"].caption.text()
        assert tab.tiles["cost"].value.text().endswith("EUR")
        if snap.carbon_intensity:
            assert "yesterday by now" in tab.tiles["carbon"].caption.text()
        else:  # no carbon data (yet): said so, never 0
            assert tab.tiles["carbon"].caption.text() == "no grid carbon data"
        assert "dishwasher" in tab.windows.text()
        metered = [c for c in tab.consumers.rows if c.metered]
        assert [c.name for c in metered] == [d.name for d in snap.devices][: len(metered)]
        assert all(c.low is not None for c in tab.consumers.rows if not c.metered)  # estimates carry a range

        # Without solar or battery meters the home's use is its grid import: no separate tile.
        grid_only = replace(snap.meters, solar=(), grid_export=())
        tab.show_snapshot(replace(snap, meters=grid_only, home_usage=()))
        assert tab.tiles["home"].isHidden()
        # With a solar meter the home's own use shows beside what came from the grid.
        home = tuple(replace(x, value=None if x.value is None else x.value + 0.1) for x in snap.consumption)
        glance = replace(snap.glance, home_kwh=12.3, yesterday_home_kwh=10.0)
        tab.show_snapshot(replace(snap, home_usage=home, glance=glance))
        assert not tab.tiles["home"].isHidden()
        assert tab.tiles["home"].value.text() == "12.3 kWh"
        assert "10.0 kWh (+23 %)" in tab.tiles["home"].caption.text()

        tab.show_snapshot(replace(snap, meters=Meters(MeterSource.NONE)))
        assert tab.view.state == StateView.EMPTY
        assert "No energy sensors found" in tab.view.message
        assert "energy dashboard" in tab.view.message
