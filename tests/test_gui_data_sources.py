"""The Data Sources tab on a demo-home runtime: every card filled from the engine (status, provider,
age, next fetch), prices read in ct/kWh, charts drawn with data, the Test button fetching through
the controller, and honest "no data" states for a source that is off or failing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from app.tabs.data_sources_tab import DataSourcesTab
from core.config import DataSourcesConfig
from core.datasources.model import Source, SourceState
from tests.gui_conftest import make_gui_config, running_session, wait_until

pytestmark = pytest.mark.gui
DEMO = (Source.PRICES, Source.CARBON, Source.WEATHER, Source.AIR_QUALITY)


def all_ok(tab: DataSourcesTab) -> bool:
    engine = tab.engine
    return engine is not None and all(engine.source_status(s).state is SourceState.OK for s in DEMO)


async def test_cards_and_charts_show_the_demo_sources(gui_app: Any) -> None:
    async with gui_app(warm=False) as session:
        tab = session.window.show_tab("data_sources")
        assert isinstance(tab, DataSourcesTab)
        await wait_until(lambda: all_ok(tab), 30)
        tab.refresh()
        prices = tab.cards[Source.PRICES]
        assert prices.state.text() == "ok" and "ct/kWh" in prices.headline.text()
        assert prices.values["Provider"].text() == "aWATTar" and prices.values["Next fetch"].text() != "—"
        assert "°C" in tab.cards[Source.WEATHER].headline.text()
        assert "AQI" in tab.cards[Source.AIR_QUALITY].headline.text()
        assert "European scale" in tab.cards[Source.AIR_QUALITY].caption.text()
        assert "gCO2/kWh" in tab.cards[Source.CARBON].headline.text()
        assert all(tab.charts[s].has_data for s in DEMO)
        await wait_until(lambda: tab.engine.source_status(Source.CALENDAR).state is SourceState.OK, 10)  # type: ignore[union-attr]
        tab.refresh()
        calendar = tab.cards[Source.CALENDAR]
        assert calendar.state.text() == "ok" and calendar.values["Provider"].text() == "Home Assistant"
        assert calendar.headline.text() in ("School run", "Away: weekend trip", "Bin collection")
        assert tab.notice.isVisible() and "simulated" in tab.notice.text()
        before = tab.engine.source_status(Source.CARBON).last_success  # type: ignore[union-attr]
        tab.cards[Source.CARBON].test_button.click()
        await wait_until(lambda: tab.engine.source_status(Source.CARBON).last_success != before, 10)  # type: ignore[union-attr]
        await wait_until(lambda: tab.cards[Source.CARBON].test_button.text() == "Test", 5)
        tab.grab()  # paints every chart (a paint error would raise here)


async def test_a_failing_source_shows_its_error_and_no_fake_chart(
    qapp: Any, tmp_path: Path, autostart_path: Path
) -> None:
    dead = "http://127.0.0.1:9"  # discard port: connection refused
    settings = DataSourcesConfig(
        price_provider="off", carbon_provider="off", timeout_s=2.0, latitude="52.5", longitude="13.4",
        weather_url=dead, air_quality_url=dead, carbon_url=dead, prices_url=dead,
    )  # fmt: skip
    config = replace(make_gui_config(tmp_path), data_sources=settings)
    async with running_session(qapp, config, autostart_path, warm=False) as session:
        tab = session.window.show_tab("data_sources")
        assert isinstance(tab, DataSourcesTab)
        await wait_until(
            lambda: tab.engine is not None and tab.engine.source_status(Source.WEATHER).last_error, 20
        )
        tab.refresh()
        weather = tab.cards[Source.WEATHER]
        assert weather.state.text() == "error" and weather.error.isVisible()
        assert "connection failed" in weather.error.text() and weather.values["Data"].text() == "never"
        assert not tab.charts[Source.WEATHER].has_data
        assert tab.charts[Source.WEATHER].empty_reason.startswith("No data: connection failed")
        assert tab.charts[Source.PRICES].empty_reason == "No data: turned off"
        assert tab.cards[Source.PRICES].headline.text() == "turned off"
        assert not tab.notice.isVisible()  # not the demo server: no "simulated" notice
        calendar = tab.cards[Source.CALENDAR]  # the demo runtime has no HA token
        assert calendar.state.text() == "disabled" and not calendar.test_button.isEnabled()
        tab.grab()
