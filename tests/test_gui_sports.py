"""The Sports tab on the demo (simulator on, no teams): a card per demo team with the next game's
countdown and the last result, league health, the webhook delivery log; and the honest empty state."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from core.config import SportsConfig
from core.sports import SPEC as SPORTS
from tests.gui_conftest import make_gui_config, running_session, wait_until
from tests.sports_helpers import Receiver

pytestmark = pytest.mark.gui


async def test_sports_tab_shows_the_demo_teams_and_the_delivery_log(gui_app: Any) -> None:
    receiver = Receiver()
    await receiver.start()
    async with gui_app(warm=False) as session:
        tab = session.window.show_tab("sports")
        engine = session.runtime.engine(SPORTS)
        assert engine is not None
        await wait_until(lambda: all(h.ok for h in engine.health.values()), 20)
        tab.refresh()
        shown = [w for w in tab.team_cards if w.isVisible()]
        assert len(shown) == 3
        first = shown[0]
        assert "Harbor Hawks" in first.title.text() and first.card is not None
        assert first.card.mode in ("next", "live") and first.health.text().startswith("ok, data")
        assert first.last.text().startswith("Last: ")  # the demo's previous game
        assert "NFL: ok" in tab.leagues.text()

        def logo_shown() -> bool:
            tab.refresh()
            return first.card is not None and first.card.logo is not None and first.logo.isVisible()

        await wait_until(logo_shown, 10)  # fetched once from the demo server, then from disk
        assert first.card is not None and first.card.logo is not None
        dark_url = engine.tracked["nfl"][0].info.logo_dark
        assert dark_url.endswith(".dark.png") and engine.logos is not None
        assert str(engine.logos.path(dark_url)) == first.card.logo
        png = await asyncio.to_thread(Path(first.card.logo).read_bytes)
        assert png.startswith(b"\x89PNG")
        tab.refresh_stored()
        await wait_until(lambda: tab.log_empty.isVisible(), 10)  # says how to add a webhook
        assert "POST /api/v1/webhooks" in tab.log_empty.text()
        assert engine.webhooks is not None
        hook, receiver.secret = await engine.webhooks.create(receiver.url, description="kitchen lights")
        await engine.webhooks.test(hook.id)
        tab.refresh_stored()
        await wait_until(lambda: tab.log.rowCount() == 1, 10)
        assert not tab.log_empty.isVisible()
        assert tab.log.item(0, 1).text() == "kitchen lights" and tab.log.item(0, 6).text() == "test"
        assert receiver.received and receiver.received[0].valid
    await receiver.stop()


async def test_sports_tab_says_when_sports_is_off(qapp: Any, tmp_path: Any, autostart_path: Any) -> None:
    config = make_gui_config(tmp_path, sports=replace(SportsConfig(), enabled=False))
    async with running_session(qapp, config, autostart_path, warm=False) as session:
        tab = session.window.show_tab("sports")
        tab.refresh()
        assert "Sports is off" in tab.view.message
